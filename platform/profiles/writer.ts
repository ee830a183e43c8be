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
 * ARGV[1] holds every key's expected version and base64 encoding as `<version> <base64>\n` lines, in
 * KEYS order (cut here into fields a, b, … of PART_CHARS): one argument instead of two per key, as
 * node-redis encodes and Redis parses every argument apart (neither a version nor base64 holds a
 * space or a newline).
 */
const SAVE_IF_UNCHANGED = new RedisScript(`
local fields = {${PART_FIELDS.map((f) => `'${f}'`).join(',')}}
local conflicts = {}
local blob = ARGV[1]
local pos = 1
for i, key in ipairs(KEYS) do
  local sp = string.find(blob, ' ', pos, true)
  local nl = string.find(blob, '\\n', sp, true)
  local expected = string.sub(blob, pos, sp - 1)
  local from = sp + 1
  local len = nl - from
  pos = nl + 1
  local current = redis.call('HGET', key, '${VERSION_FIELD}') or '0'
  if current ~= expected then
    table.insert(conflicts, i)
  else
    local n = math.ceil(len / ${PART_CHARS})
    local args = {'${VERSION_FIELD}', tostring(tonumber(current) + 1)}
    for j = 1, n do
      args[2 * j + 1] = fields[j]
      local a = from + (j - 1) * ${PART_CHARS}
      local b = math.min(a + ${PART_CHARS} - 1, nl - 1)
      args[2 * j + 2] = string.sub(blob, a, b)
    end
    redis.call('HSET', key, unpack(args))
    -- Parts are contiguous: a shorter encoding than the stored one leaves parts to delete only if part n + 1 exists.
    if n < #fields and redis.call('HEXISTS', key, fields[n + 1]) == 1 then redis.call('HDEL', key, unpack(fields, n + 1)) end
  end
end
return conflicts`);

/**
 * Reads many profiles for an update: per key one line `<version> <scores or -> <parts joined>` (the
 * parts empty for none), all keys' lines in one reply string: one bulk string for node-redis to
 * decode instead of 22 fields (or 3 strings) a key.
 */
const READ_FOR_UPDATE = new RedisScript(`
local out = {}
for i, key in ipairs(KEYS) do
  local row = redis.call('HMGET', key, '${VERSION_FIELD}', '${SCORES_FIELD}', ${PART_FIELDS.map((f) => `'${f}'`).join(', ')})
  local parts = {row[1] or '0', ' ', row[2] or '-', ' '}
  for j = 3, #row do
    if not row[j] then break end
    parts[j + 2] = row[j]
  end
  out[i] = table.concat(parts)
end
return table.concat(out, '\\n')`);

/** A profile as read for an update: its features (null when new) and the version to compare. */
export interface Versioned {
  features: ProfileFeatures | null;
  version: string;
}

export class ProfileWriter extends ProfileStore {
  /** Profiles with their versions, for saveIfUnchanged (one script call). */
  async readForUpdate(patientIds: readonly string[]): Promise<Versioned[]> {
    if (patientIds.length === 0) return [];
    const blob = await READ_FOR_UPDATE.run(this.client, patientIds.map((id) => this.keyOf(id)), []) as string;
    const out: Versioned[] = [];
    let pos = 0;
    for (let i = 0; i < patientIds.length; i++) {
      const a = blob.indexOf(' ', pos);
      const b = blob.indexOf(' ', a + 1);
      let end = blob.indexOf('\n', b + 1);
      if (end < 0) end = blob.length;
      if (a < 0 || b < 0) throw new CareloopError('INTERNAL', 'profile read returned fewer rows than keys');
      const version = blob.slice(pos, a);
      const scores = blob.slice(a + 1, b);
      const features = end === b + 1 ? null : this.withScores(decodeProfile(Buffer.from(blob.slice(b + 1, end), 'base64')), scores === '-' ? undefined : scores);
      out.push({ features, version });
      pos = end + 1;
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
    const lines: string[] = [];
    for (const { features, version } of profiles.values()) {
      const b64 = encodeProfileBase64(features);
      if (b64.length > PART_FIELDS.length * PART_CHARS) throw new CareloopError('INTERNAL', `profile encoding of ${b64.length} base64 characters exceeds the store's parts`);
      lines.push(version, ' ', b64, '\n');
    }
    const conflicts = await SAVE_IF_UNCHANGED.run(this.client, ids.map((id) => this.keyOf(id)), [lines.join('')]) as number[];
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
