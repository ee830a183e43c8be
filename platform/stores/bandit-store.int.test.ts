import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testConfig, uniqueId } from '../../test/helpers.js';
import type { PendingSend } from '../personalisation/rewards.js';
import { connectRedis, type RedisClient } from '../storage/redis.js';
import { BanditStore } from './bandit-store.js';

const cfg = testConfig();
let redis: RedisClient;
before(async () => { redis = await connectRedis({ url: cfg.redis.url, name: 'careloop-test' }); });
after(async () => { await redis.quit(); });

describe('the variant bandit store (Redis)', () => {
  const prefix = `${uniqueId('bandit')}:`;
  const store = (): BanditStore => new BanditStore(redis, prefix, 60);
  after(async () => { const keys = await redis.keys(`${prefix}*`); if (keys.length > 0) await redis.del(keys); });
  const send = (sendId: string, variant: number, segment = 'all'): PendingSend => ({ sendId, message: 'nudge/~s1/en', segment, variant, kind: 'replied', deadline: 2_000 });

  test('a send is counted once even when the turn is replayed; a reward once even when settled twice', async () => {
    const org = uniqueId('org');
    const patient = uniqueId('pt_');
    const s = store();
    await s.recordSends(org, patient, [send('o-1', 0), send('o-2', 2)]);
    await s.recordSends(org, patient, [send('o-1', 0)]);
    assert.deepEqual((await s.arms(org, 'all')).get('nudge/~s1/en'), [{ sends: 1, rewards: 0 }, { sends: 0, rewards: 0 }, { sends: 1, rewards: 0 }]);
    assert.deepEqual([...(await s.lastVariants(org, patient))], [['nudge/~s1/en', 0]], 'the last send of the message (the replayed one) is remembered');
    const pending = await s.pending(org, patient);
    assert.deepEqual(pending.map((p) => p.sendId).sort(), ['o-1', 'o-2']);
    const rewarded = pending.filter((p) => p.sendId === 'o-2');
    await s.settle(org, patient, rewarded, []);
    await s.settle(org, patient, rewarded, []);
    assert.deepEqual((await s.arms(org, 'all')).get('nudge/~s1/en')?.[2], { sends: 1, rewards: 1 });
    await s.settle(org, patient, [], pending.filter((p) => p.sendId === 'o-1'));
    assert.deepEqual(await s.pending(org, patient), []);
  });

  test('the organisation view lists every segment; keys carry only the prefix, the organisation and pseudonymous ids', async () => {
    const org = uniqueId('org');
    const patient = uniqueId('pt_');
    const s = store();
    await s.recordSends(org, patient, [send('a', 0, 'evening responders'), send('b', 1, 'all')]);
    const view = await s.organisation(org);
    assert.deepEqual([...view.keys()], ['all', 'evening responders']);
    const keys = await redis.keys(`${prefix}*${org}*`);
    assert.ok(keys.length >= 3);
    for (const k of keys) assert.ok(k.startsWith(`${prefix}bandit:{${org}}:`), k);
    const other = await new BanditStore(redis, `${uniqueId('other')}:`, 60).organisation(org);
    assert.equal(other.size, 0, 'another deployment prefix sees nothing');
  });
});
