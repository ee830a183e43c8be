import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testConfig, uniqueId } from '../../test/helpers.js';
import { connectRedis } from '../storage/redis.js';
import { TimerStore } from './timers.js';

test('due timers are claimed once, in due order, by competing schedulers; later ones wait', async () => {
  const redis = await connectRedis({ url: testConfig().redis.url, name: 'careloop-test' });
  const key = uniqueId('timers:test:');
  try {
    const [a, b] = [new TimerStore(redis, key), new TimerStore(redis, key)];
    const t = (at: number, timerId: string) => ({ at, organizationId: 'o', patientId: 'p', workflowId: 'w', timerId });
    await a.schedule([t(300, 't3'), t(100, 't1'), t(200, 't2'), t(10_000, 'later')]);
    const [x, y] = await Promise.all([a.claimDue(1000), b.claimDue(1000)]);
    const all = [...x, ...y].map((z) => z.timerId).sort();
    assert.deepEqual(all, ['t1', 't2', 't3'], 'each due timer exactly once');
    assert.deepEqual(await a.claimDue(1000), []);
    assert.deepEqual((await a.claimDue(20_000)).map((z) => z.timerId), ['later']);
  } finally {
    await redis.del(key);
    await redis.quit();
  }
});
