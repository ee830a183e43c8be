import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testConfig, uniqueId } from '../../test/helpers.js';
import { connectRedis, type RedisClient } from '../storage/redis.js';
import { ConversationStore } from './conversation-store.js';
import { Outbox } from './outbox.js';
import { RateLimiter } from './rate-limit.js';
import { RouteTable } from './routing.js';
import { TimerStore, timerKey } from './timers.js';

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

  test('two deployments with their own redis.keyPrefix share a Redis without seeing each other; every key carries the prefix', async () => {
    const [a, b] = [uniqueId('depa') + ':', uniqueId('depb') + ':'];
    const patient = uniqueId('pt_');
    const message = uniqueId('m');
    const state = { organizationId: 'org', workflowId: 'default', workflowVersion: 1, step: 'start', optedOut: false, recent: [message], turn: 1, slots: '{}' };
    // Deployment a writes everything a patient's conversation leaves in Redis.
    assert.equal(await new Outbox(redis, a).enqueue(patient, { messageId: message, replyTo: null, organizationId: 'org', content: sealed('x') }), true);
    await new ConversationStore(redis, 60, Date.now, a).put(patient, state);
    await new RouteTable(redis, a).attach(patient, 'gw-1');
    const limiterA = new RateLimiter(redis, { capacity: 1, refillPerSecond: 0.001 }, Date.now, a);
    assert.equal(await limiterA.take(patient), true);
    await new TimerStore(redis, timerKey('t.', a)).schedule([{ at: 1, organizationId: 'org', patientId: patient, workflowId: 'w', timerId: 'x' }]);
    // Deployment b sees none of it, and the same message id is new to it.
    assert.deepEqual(await new Outbox(redis, b).read(patient), []);
    assert.equal(await new ConversationStore(redis, 60, Date.now, b).get(patient), null);
    assert.deepEqual(await new RouteTable(redis, b).instancesOf(patient), []);
    assert.equal(await new RateLimiter(redis, { capacity: 1, refillPerSecond: 0.001 }, Date.now, b).take(patient), true, "b's bucket is its own");
    assert.deepEqual(await new TimerStore(redis, timerKey('t.', b)).claimDue(Date.now()), []);
    assert.equal(await new Outbox(redis, b).enqueue(patient, { messageId: message, replyTo: null, organizationId: 'org', content: sealed('x') }), true);
    // While a still has it all.
    assert.equal((await new ConversationStore(redis, 60, Date.now, a).get(patient))?.turn, 1);
    assert.equal(await limiterA.take(patient), false);
    assert.equal((await new TimerStore(redis, timerKey('t.', a)).claimDue(Date.now())).length, 1);
    const keys = await redis.keys(`*${patient}*`);
    assert.ok(keys.length >= 4 && keys.every((k) => k.startsWith(a) || k.startsWith(b)), keys.join(', '));
    assert.ok((await redis.keys(`*${message}*`)).every((k) => k.startsWith(a) || k.startsWith(b)));
  });

  test('the outbox keeps order, drops a duplicate message id, and removes what was sent', async () => {
    const outbox = new Outbox(redis);
    const patient = uniqueId('p');
    const ids = [uniqueId('m'), uniqueId('m'), uniqueId('m')];
    for (const id of ids) assert.equal(await outbox.enqueue(patient, { messageId: id, replyTo: 'c1', organizationId: 'org', content: sealed(id) }), true);
    assert.equal(await outbox.enqueue(patient, { messageId: ids[0] as string, replyTo: 'c1', organizationId: 'org', content: sealed('again') }), false);
    const ttl = await redis.ttl(`queued:${ids[0] as string}`);
    assert.ok(ttl > 6 * 3600 - 60 && ttl <= 6 * 3600, `a queued id is remembered for delivery.dedupeWindow (6 h by default), not longer: ${ttl}`);
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
