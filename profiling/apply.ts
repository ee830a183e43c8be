/*
 * The write path of one batch of events: read every touched profile in one pipelined round, evolve
 * them in memory, write them back in one round. The consumer loop and the benchmark both call it.
 */
import { CareloopError } from '../platform/errors.js';
import { emptyProfile, type Demographics, type ProfileFeatures, type ProfileTopic } from '../platform/profiles/features.js';
import type { ProfileWriter } from '../platform/profiles/writer.js';
import { evolve, type ProfileEvent } from './evolve.js';

export interface PatientEvent {
  patientId: string;
  organizationId: string;
  event: ProfileEvent;
  /** Where the record came from: a record at or below the profile's last offset of that topic is a redelivery. */
  source?: { topic: ProfileTopic; offset: number };
}

/** Applies one event unless it is a redelivered record; moves the topic's offset on. */
function applyOne(p: ProfileFeatures, e: PatientEvent, zone: string): void {
  if (e.source !== undefined) {
    const last = p.offsets[e.source.topic];
    if (last !== undefined && e.source.offset <= last) return;
    p.offsets[e.source.topic] = e.source.offset;
  }
  evolve(p, e.event, zone);
}

/** What the write path looks up: patients' time zones, and demographic bands for profiles that have none. */
export interface PatientLookups {
  zones(organizationId: string, patientIds: readonly string[]): Promise<Map<string, string>>;
  /** Bands read from the vault, once per profile; `at` is the first event's time. */
  demographics(organizationId: string, patientId: string, at: number): Promise<Demographics>;
}

/** Re-reads and re-applies after another writer's change this many times before giving up (retryable). */
const MAX_CONFLICT_ROUNDS = 8;

/**
 * Applies events in their order, each patient's profile compare-and-set: a patient another writer
 * changed meanwhile is re-read and its events of this batch applied again. Returns the profiles written.
 */
export async function applyBatch(writer: ProfileWriter, lookups: PatientLookups, events: readonly PatientEvent[]): Promise<Map<string, ProfileFeatures>> {
  const written = new Map<string, ProfileFeatures>();
  let pending = events;
  for (let round = 0; round < MAX_CONFLICT_ROUNDS && pending.length > 0; round++) {
    const ids = [...new Set(pending.map((e) => e.patientId))];
    const byOrg = new Map<string, Set<string>>();
    for (const e of pending) byOrg.set(e.organizationId, (byOrg.get(e.organizationId) ?? new Set()).add(e.patientId));
    const [stored, ...zoneMaps] = await Promise.all([writer.readForUpdate(ids), ...[...byOrg].map(([org, pids]) => lookups.zones(org, [...pids]))]);
    const zones = new Map(zoneMaps.flatMap((m) => [...m]));
    const profiles = new Map<string, { features: ProfileFeatures; version: string }>();
    ids.forEach((id, i) => profiles.set(id, { features: stored[i]?.features ?? emptyProfile(), version: stored[i]?.version ?? '0' }));
    await readDemographics(lookups, pending, new Map([...profiles].map(([id, v]) => [id, v.features])));
    for (const e of pending) applyOne((profiles.get(e.patientId) as { features: ProfileFeatures }).features, e, zones.get(e.patientId) ?? 'UTC');
    const conflicts = await writer.saveIfUnchanged(profiles);
    for (const [id, v] of profiles) if (!conflicts.has(id)) written.set(id, v.features);
    pending = pending.filter((e) => conflicts.has(e.patientId));
  }
  if (pending.length > 0) throw new CareloopError('CONFLICT', 'profiles kept changing under this batch', { retryable: true });
  return written;
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
