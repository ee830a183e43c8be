/*
 * The write path of one batch of events: read every touched profile in one pipelined round, evolve
 * them in memory, write them back in one round. The consumer loop and the benchmark both call it.
 */
import { emptyProfile, type ProfileFeatures } from '../platform/profiles/features.js';
import type { ProfileWriter } from '../platform/profiles/writer.js';
import { evolve, type ProfileEvent } from './evolve.js';

export interface PatientEvent {
  patientId: string;
  organizationId: string;
  event: ProfileEvent;
}

/** Per-patient context the write path needs once: the time zone, and demographics for a new profile. */
export interface PatientContext {
  zone: string;
  /** Fills demographic bands on a profile that has none yet (read once from the vault). */
  demographics?: (p: ProfileFeatures) => void;
}

export type ContextLookup = (organizationId: string, patientIds: readonly string[]) => Promise<Map<string, PatientContext>>;

/** Applies events in their order; returns the profiles written (patient id → features). */
export async function applyBatch(writer: ProfileWriter, lookup: ContextLookup, events: readonly PatientEvent[]): Promise<Map<string, ProfileFeatures>> {
  const ids = [...new Set(events.map((e) => e.patientId))];
  const byOrg = new Map<string, Set<string>>();
  for (const e of events) byOrg.set(e.organizationId, (byOrg.get(e.organizationId) ?? new Set()).add(e.patientId));
  const [stored, ...contexts] = await Promise.all([writer.getMany(ids), ...[...byOrg].map(([org, pids]) => lookup(org, [...pids]))]);
  const context = new Map(contexts.flatMap((m) => [...m]));
  const profiles = new Map<string, ProfileFeatures>();
  ids.forEach((id, i) => profiles.set(id, stored[i] ?? emptyProfile()));
  for (const { patientId, event } of events) {
    const p = profiles.get(patientId) as ProfileFeatures;
    const ctx = context.get(patientId);
    if (!p.demographicsRead && ctx?.demographics !== undefined) {
      ctx.demographics(p);
      p.demographicsRead = true;
    }
    evolve(p, event, ctx?.zone ?? 'UTC');
  }
  await writer.saveMany(profiles);
  return profiles;
}
