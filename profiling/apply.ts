/*
 * The write path of one batch of events: read every touched profile in one pipelined round, evolve
 * them in memory, write them back in one round. The consumer loop and the benchmark both call it.
 */
import { emptyProfile, type Demographics, type ProfileFeatures } from '../platform/profiles/features.js';
import type { ProfileWriter } from '../platform/profiles/writer.js';
import { evolve, type ProfileEvent } from './evolve.js';

export interface PatientEvent {
  patientId: string;
  organizationId: string;
  event: ProfileEvent;
}

/** What the write path looks up: patients' time zones, and demographic bands for profiles that have none. */
export interface PatientLookups {
  zones(organizationId: string, patientIds: readonly string[]): Promise<Map<string, string>>;
  /** Bands read from the vault, once per profile; `at` is the first event's time. */
  demographics(organizationId: string, patientId: string, at: number): Promise<Demographics>;
}

/** Applies events in their order; returns the profiles written (patient id → features). */
export async function applyBatch(writer: ProfileWriter, lookups: PatientLookups, events: readonly PatientEvent[]): Promise<Map<string, ProfileFeatures>> {
  const ids = [...new Set(events.map((e) => e.patientId))];
  const byOrg = new Map<string, Set<string>>();
  for (const e of events) byOrg.set(e.organizationId, (byOrg.get(e.organizationId) ?? new Set()).add(e.patientId));
  const [stored, ...zoneMaps] = await Promise.all([writer.getMany(ids), ...[...byOrg].map(([org, pids]) => lookups.zones(org, [...pids]))]);
  const zones = new Map(zoneMaps.flatMap((m) => [...m]));
  const profiles = new Map<string, ProfileFeatures>();
  ids.forEach((id, i) => profiles.set(id, stored[i] ?? emptyProfile()));
  await readDemographics(lookups, events, profiles);
  for (const { patientId, event } of events) evolve(profiles.get(patientId) as ProfileFeatures, event, zones.get(patientId) ?? 'UTC');
  await writer.saveMany(profiles);
  return profiles;
}

async function readDemographics(lookups: PatientLookups, events: readonly PatientEvent[], profiles: Map<string, ProfileFeatures>): Promise<void> {
  const first = new Map<string, PatientEvent>();
  for (const e of events) if (profiles.get(e.patientId)?.demographicsRead === false && !first.has(e.patientId)) first.set(e.patientId, e);
  await Promise.all([...first.values()].map(async (e) => {
    const p = profiles.get(e.patientId) as ProfileFeatures;
    // A profile that already has events started earlier than this batch: its start is its oldest known time.
    const at = p.events > 0 ? Math.min(p.updatedAt, e.event.at) : e.event.at;
    p.demographics = await lookups.demographics(e.organizationId, e.patientId, at);
    p.demographicsRead = true;
  }));
}
