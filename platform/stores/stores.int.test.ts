import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testConfig, uniqueId } from '../../test/helpers.js';
import { connectRedis, type RedisClient } from '../storage/redis.js';
import { Outbox } from './outbox.js';
import { RateLimiter } from './rate-limit.js';
import { RouteTable } from './routing.js';

const cfg = testConfig();
let redis: RedisClient;
before(async () => { redis = await connectRedis({ url: cfg.redis.url, name: 'careloop-test' }); });
after(async () => { await redis.quit(); });

const sealed = (s: string) => ({ keyId: 'org/v1', nonce: Buffer.alloc(12, 1), ciphertext: Buffer.from(s) });

describe('Redis stores', () => {
  test('the token bucket allows the burst, refuses the next, and refills with time', async () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(redis, { capacity: 3, refillPerSecond: 1 }, () => now);
    const key = uniqueId('patient:');
    assert.deepEqual([await limiter.take(key), await limiter.take(key), await limiter.take(key), await limiter.take(key)], [true, true, true, false]);
    now += 1000;
    assert.equal(await limiter.take(key), true, 'one token back after a second');
    assert.equal(await limiter.take(key), false);
  });

  test('the outbox keeps order, drops a duplicate message id, and removes what was sent', async () => {
    const outbox = new Outbox(redis);
    const patient = uniqueId('p');
    const ids = [uniqueId('m'), uniqueId('m'), uniqueId('m')];
    for (const id of ids) assert.equal(await outbox.enqueue(patient, { messageId: id, replyTo: 'c1', organizationId: 'org', content: sealed(id) }), true);
    assert.equal(await outbox.enqueue(patient, { messageId: ids[0] as string, replyTo: 'c1', organizationId: 'org', content: sealed('again') }), false);
    const queued = await outbox.read(patient);
    assert.deepEqual(queued.map((e) => e.messageId), ids);
    assert.deepEqual(queued[0]?.content.ciphertext, Buffer.from(ids[0] as string));
    await outbox.remove(patient, [queued[0]?.streamId as string]);
    assert.deepEqual((await outbox.read(patient)).map((e) => e.messageId), ids.slice(1));
    assert.deepEqual((await outbox.read(patient, queued[1]?.streamId)).map((e) => e.messageId), ids.slice(2), 'reads after a cursor');
  });

  test('routes list the instances holding a patient and expire', async () => {
    const routes = new RouteTable(redis);
    const patient = uniqueId('p');
    await routes.attach(patient, 'gw-a');
    await routes.attach(patient, 'gw-b');
    assert.deepEqual((await routes.instancesOf(patient)).sort(), ['gw-a', 'gw-b']);
    await routes.detach(patient, 'gw-a');
    assert.deepEqual(await routes.instancesOf(patient), ['gw-b']);
    assert.ok((await redis.ttl(`route:${patient}`)) > 0);
  });
});
