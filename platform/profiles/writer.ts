/*
 * Write access to the profile store, for profiling/ alone (eslint forbids importing this file
 * anywhere else): the other services read through ProfileStore.
 */
import { CareloopError } from '../errors.js';
import { RedisScript } from '../storage/redis-script.js';
import { decodeProfile, encodeProfile, encodeProfileBase64 } from './codec.js';
import type { ProfileFeatures, Scores } from './features.js';
import { PART_CHARS, PART_FIELDS, ProfileStore, SCORES_FIELD, scoresToField, toParts, VERSION_FIELD, type SegmentTable } from './store.js';

/**
 * Compare-and-set of many profiles: each key is written only if its version is still the one read,
 * and its version then moves on; returns the 1-based indexes of the keys that changed meanwhile.
 * ARGV per key: expected version, the base64 encoding (cut here into fields a, b, … of PART_CHARS).
 * Two arguments per key instead of one per part: node-redis encodes every argument apart.
 */
const SAVE_IF_UNCHANGED = new RedisScript(`
local fields = {${PART_FIELDS.map((f) => `'${f}'`).join(',')}}
local conflicts = {}
for i, key in ipairs(KEYS) do
  local expected = ARGV[2 * i - 1]
  local b64 = ARGV[2 * i]
  local current = redis.call('HGET', key, '${VERSION_FIELD}') or '0'
  if current ~= expected then
    table.insert(conflicts, i)
  else
    local n = math.ceil(#b64 / ${PART_CHARS})
    local args = {'${VERSION_FIELD}', tostring(tonumber(current) + 1)}
    for j = 1, n do
      args[2 * j + 1] = fields[j]
      args[2 * j + 2] = string.sub(b64, (j - 1) * ${PART_CHARS} + 1, j * ${PART_CHARS})
    end
    redis.call('HSET', key, unpack(args))
    -- Parts are contiguous: a shorter encoding than the stored one leaves parts to delete only if part n + 1 exists.
    if n < #fields and redis.call('HEXISTS', key, fields[n + 1]) == 1 then redis.call('HDEL', key, unpack(fields, n + 1)) end
  end
end
return conflicts`);

/**
 * Reads many profiles for an update: per key its version, its scores field ('' when none) and its
 * parts joined (''), three strings instead of the 22 fields of an HMGET, in one call.
 */
const READ_FOR_UPDATE = new RedisScript(`
local out = {}
for i, key in ipairs(KEYS) do
  local row = redis.call('HMGET', key, '${VERSION_FIELD}', '${SCORES_FIELD}', ${PART_FIELDS.map((f) => `'${f}'`).join(', ')})
  local parts = {}
  for j = 3, #row do
    if not row[j] then break end
    parts[j - 2] = row[j]
  end
  out[3 * i - 2] = row[1] or '0'
  out[3 * i - 1] = row[2] or ''
  out[3 * i] = table.concat(parts)
end
return out`);

/** A profile as read for an update: its features (null when new) and the version to compare. */
export interface Versioned {
  features: ProfileFeatures | null;
  version: string;
}

export class ProfileWriter extends ProfileStore {
  /** Profiles with their versions, for saveIfUnchanged (one script call). */
  async readForUpdate(patientIds: readonly string[]): Promise<Versioned[]> {
    if (patientIds.length === 0) return [];
    const flat = await READ_FOR_UPDATE.run(this.client, patientIds.map((id) => this.keyOf(id)), []) as string[];
    const out: Versioned[] = [];
    for (let i = 0; i < patientIds.length; i++) {
      const b64 = flat[3 * i + 2] ?? '';
      const scores = flat[3 * i + 1] ?? '';
      const features = b64 === '' ? null : this.withScores(decodeProfile(Buffer.from(b64, 'base64')), scores === '' ? undefined : scores);
      out.push({ features, version: flat[3 * i] ?? '0' });
    }
    return out;
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
      const b64 = encodeProfileBase64(features);
      if (b64.length > PART_FIELDS.length * PART_CHARS) throw new CareloopError('INTERNAL', `profile encoding of ${b64.length} base64 characters exceeds the store's parts`);
      args.push(version, b64);
    }
    const conflicts = await SAVE_IF_UNCHANGED.run(this.client, ids.map((id) => this.keyOf(id)), args) as number[];
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
