/*
 * Write access to the profile store, for profiling/ alone (eslint forbids importing this file
 * anywhere else): the other services read through ProfileStore.
 */
import { decodeProfile, encodeProfile } from './codec.js';
import type { ProfileFeatures, Scores } from './features.js';
import { fromParts, PART_FIELDS, ProfileStore, SCORES_FIELD, scoresToField, toParts, VERSION_FIELD, type SegmentTable } from './store.js';

/**
 * Compare-and-set of many profiles: each key is written only if its version is still the one read,
 * and its version then moves on; returns the 1-based indexes of the keys that changed meanwhile.
 * ARGV per key: expected version, number of parts, the parts (fields a, b, … in order).
 */
const SAVE_IF_UNCHANGED = `
local fields = {${PART_FIELDS.map((f) => `'${f}'`).join(',')}}
local conflicts = {}
local a = 1
for i, key in ipairs(KEYS) do
  local expected = ARGV[a]
  local n = tonumber(ARGV[a + 1])
  local current = redis.call('HGET', key, '${VERSION_FIELD}') or '0'
  if current ~= expected then
    table.insert(conflicts, i)
  else
    local args = {'${VERSION_FIELD}', tostring(tonumber(current) + 1)}
    for j = 1, n do
      table.insert(args, fields[j])
      table.insert(args, ARGV[a + 1 + j])
    end
    redis.call('HSET', key, unpack(args))
    if n < #fields then redis.call('HDEL', key, unpack(fields, n + 1)) end
  end
  a = a + 2 + n
end
return conflicts`;

/** A profile as read for an update: its features (null when new) and the version to compare. */
export interface Versioned {
  features: ProfileFeatures | null;
  version: string;
}

export class ProfileWriter extends ProfileStore {
  /** Profiles with their versions, for saveIfUnchanged (one pipelined round). */
  async readForUpdate(patientIds: readonly string[]): Promise<Versioned[]> {
    const rows = await Promise.all(patientIds.map((id) => this.client.hmGet(this.keyOf(id), [...PART_FIELDS, VERSION_FIELD, SCORES_FIELD])));
    return rows.map((row) => {
      const parts: Record<string, string> = {};
      PART_FIELDS.forEach((f, i) => { const v = row[i]; if (typeof v === 'string') parts[f] = v; });
      const bytes = fromParts(parts);
      return { features: bytes === null ? null : this.withScores(decodeProfile(bytes), row[PART_FIELDS.length + 1]), version: row[PART_FIELDS.length] ?? '0' };
    });
  }

  /**
   * Writes profiles whose stored version is still the one read, all in one script call (atomic, one
   * round trip); another writer's change in between makes that patient a conflict, returned for a
   * re-read and re-apply. Two instances (or two topics' partitions) updating one patient never lose
   * each other's events.
   */
  async saveIfUnchanged(profiles: ReadonlyMap<string, { features: ProfileFeatures; version: string }>): Promise<Set<string>> {
    if (profiles.size === 0) return new Set();
    const ids = [...profiles.keys()];
    const args: string[] = [];
    for (const { features, version } of profiles.values()) {
      const parts = Object.values(toParts(encodeProfile(features)));
      args.push(version, String(parts.length), ...parts);
    }
    const conflicts = await this.client.eval(SAVE_IF_UNCHANGED, { keys: ids.map((id) => this.keyOf(id)), arguments: args }) as number[];
    return new Set(conflicts.map((i) => ids[i - 1] as string));
  }

  /** Overwrites profiles whatever their version (benchmarks seeding a store, tests). */
  async saveMany(profiles: ReadonlyMap<string, ProfileFeatures>): Promise<void> {
    if (profiles.size === 0) return;
    const tx = this.client.multi();
    for (const [id, p] of profiles) {
      const key = this.keyOf(id);
      const parts = toParts(encodeProfile(p));
      const stale = PART_FIELDS.slice(Object.keys(parts).length);
      tx.hSet(key, parts);
      tx.hIncrBy(key, VERSION_FIELD, 1);
      if (stale.length > 0) tx.hDel(key, stale);
    }
    await tx.exec();
  }

  /** The daily job's scores (patient id → scores), in the field the consumer never writes. */
  async saveScores(scores: ReadonlyMap<string, Scores>): Promise<void> {
    if (scores.size === 0) return;
    const tx = this.client.multi();
    for (const [id, s] of scores) tx.hSet(this.keyOf(id), SCORES_FIELD, scoresToField(s));
    await tx.exec();
  }

  async remove(patientIds: readonly string[]): Promise<void> {
    if (patientIds.length > 0) await this.repo.remove([...patientIds]);
  }

  /** True for the one caller that claims a day's scoring run (the others skip it); kept two days. */
  async claimScoringDay(day: number): Promise<boolean> {
    return (await this.client.set(`${this.prefix}profile-scoring:${day}`, '1', { NX: true, EX: 2 * 86_400 })) !== null;
  }

  async saveSegments(table: SegmentTable): Promise<void> {
    await this.client.set(this.segmentsKey(table.organizationId), JSON.stringify(table));
  }
}
