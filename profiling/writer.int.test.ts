import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { connectRedis } from '../platform/storage/redis.js';
import { RedisScript } from '../platform/storage/redis-script.js';
import { testConfig } from '../test/helpers.js';
import { decodeProfile, encodeProfile, RECENT_RING, SEEN_RING } from '../platform/profiles/codec.js';
import { emptyProfile, type ProfileFeatures } from '../platform/profiles/features.js';
import { PART_FIELDS, ProfileStore } from '../platform/profiles/store.js';
import { ProfileWriter } from '../platform/profiles/writer.js';

const cfg = testConfig();
const redis = await connectRedis({ url: cfg.redis.url, name: 'test-profile-writer' });
const prefix = `${cfg.redis.keyPrefix}test${randomUUID().slice(0, 8)}:`;
const writer = new ProfileWriter(redis, prefix);
const reader = new ProfileStore(redis, prefix);
after(async () => {
  const keys: string[] = [];
  for await (const k of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 }) as AsyncIterable<string | string[]>) keys.push(...(Array.isArray(k) ? k : [k]));
  if (keys.length > 0) await redis.unlink(keys);
  await redis.quit();
});

/** A profile whose encoding needs many parts (full rings, counts in every hour). */
function bigProfile(): ProfileFeatures {
  const p = emptyProfile();
  p.updatedAt = Date.UTC(2026, 10, 1);
  for (const c of [p.channels.WEB, p.channels.SMS]) for (const k of ['active', 'prompts', 'answered', 'latencyMinutes'] as const) c[k] = c[k].map((_, h) => 1000 + h);
  p.recentPrompts = Array.from({ length: RECENT_RING }, (_, i) => ({ at: 29_000_000 + i, channel: 'SMS' as const, answered: i % 2 === 0 }));
  p.recentInbound = Array.from({ length: RECENT_RING }, (_, i) => ({ at: 29_000_000 + i, channel: 'WEB' as const }));
  p.seen = Array.from({ length: SEEN_RING }, (_, i) => ({ at: 29_000_000 + i, hash: 0xfedc0000 + i }));
  p.offsets = { 'chat.intents': 123_456_789, 'patient.actions': 42 };
  return p;
}

test('given a new patient, when read for update, then no features and version 0; when saved, then readers and the writer see the same bytes', async () => {
  const [none] = await writer.readForUpdate(['p-new']);
  assert.deepEqual(none, { features: null, version: '0' });
  const p = bigProfile();
  const conflicts = await writer.saveIfUnchanged(new Map([['p-new', { features: p, version: '0' }]]));
  assert.equal(conflicts.size, 0);
  const [again] = await writer.readForUpdate(['p-new']);
  assert.equal(again?.version, '1');
  assert.deepEqual(encodeProfile(again?.features as ProfileFeatures), encodeProfile(p));
  assert.deepEqual(encodeProfile(await reader.get('p-new') as ProfileFeatures), encodeProfile(p));
});

test('given a profile another writer changed since it was read, when saved, then it is a conflict and the other write stays', async () => {
  await writer.saveIfUnchanged(new Map([['p-race', { features: emptyProfile(), version: '0' }]]));
  const [mine] = await writer.readForUpdate(['p-race']);
  const theirs = bigProfile();
  assert.equal((await writer.saveIfUnchanged(new Map([['p-race', { features: theirs, version: mine?.version ?? '' }]]))).size, 0);
  const conflicts = await writer.saveIfUnchanged(new Map([['p-race', { features: emptyProfile(), version: mine?.version ?? '' }], ['p-other', { features: emptyProfile(), version: '0' }]]));
  assert.deepEqual([...conflicts], ['p-race']);
  assert.deepEqual(encodeProfile(await reader.get('p-race') as ProfileFeatures), encodeProfile(theirs));
  assert.notEqual(await reader.get('p-other'), null);
});

test('given a long encoding stored, when a shorter one is saved, then its stale parts are deleted and the shorter one decodes', async () => {
  await writer.saveIfUnchanged(new Map([['p-shrink', { features: bigProfile(), version: '0' }]]));
  const long = await redis.hLen(writer.keyOf('p-shrink'));
  const [read] = await writer.readForUpdate(['p-shrink']);
  const short = emptyProfile();
  await writer.saveIfUnchanged(new Map([['p-shrink', { features: short, version: read?.version ?? '' }]]));
  const fields = Object.keys(await redis.hGetAll(writer.keyOf('p-shrink'))).sort();
  assert.ok(fields.length < long, `${fields.length} fields after shrinking, ${long} before`);
  const parts = fields.filter((f) => PART_FIELDS.includes(f));
  assert.deepEqual(parts, PART_FIELDS.slice(0, parts.length));
  assert.deepEqual(encodeProfile(decodeProfile(encodeProfile((await reader.get('p-shrink')) as ProfileFeatures))), encodeProfile(short));
});

test('given a script the server does not hold yet, when run, then it is loaded through EVAL and later calls go by its SHA1', async () => {
  const script = new RedisScript(`-- ${randomUUID()}\nreturn #KEYS + #ARGV`);
  assert.equal(await script.run(redis, ['a', 'b'], ['c']), 3);
  assert.deepEqual(await redis.scriptExists(script.sha), [true]);
  assert.equal(await script.run(redis, ['a'], []), 1);
});
