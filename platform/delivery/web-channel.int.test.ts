import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { seal } from '../crypto/envelope.js';
import { Dependencies } from '../service/dependencies.js';
import { ChatHistory } from '../stores/chat-history.js';
import { silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { FallbackStore, fallbackKey } from './fallbacks.js';
import { WebChannel } from './web-channel.js';

const cfg = testConfig({ 'redis.keyPrefix': `${uniqueId('webch')}:` });
const deps = new Dependencies(cfg, silentLogger);
after(() => deps.close());
const key = randomBytes(32);
const entry = (id: string) => ({ messageId: id, replyTo: null, organizationId: 'org', content: seal(key, 'org/v1', `text ${id}`, 'aad') });

test('delivery queues and nudges; a waiting message can be found, withdrawn once, and put back', async () => {
  const redis = await deps.redis();
  const web = new WebChannel(redis, cfg.redis.keyPrefix, 60);
  const patient = uniqueId('p');
  await web.routes.attach(patient, 'gw-1');
  const sub = redis.duplicate();
  await sub.connect();
  const nudges: string[] = [];
  await sub.subscribe(web.nudgeChannel('gw-1'), (p) => { nudges.push(p); });
  try {
    assert.equal(await web.deliver(patient, entry('m1')), true);
    assert.equal(await web.deliver(patient, entry('m1')), false, 'a duplicate is not queued');
    assert.equal(await web.deliver(patient, entry('m2')), true);
    for (let i = 0; i < 50 && nudges.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(nudges, [patient, patient, patient], 'every delivery nudges, a duplicate too');
    assert.equal(await web.connected(patient), true);
    const queued = (await web.outbox.read(patient))[0];
    const { streamId: _s, ...expected } = queued ?? { streamId: '' };
    assert.deepEqual(await web.waiting(patient, 'm1'), expected, 'found with its sealed content');
    assert.equal(await web.withdraw(patient, 'm1'), true);
    assert.equal(await web.withdraw(patient, 'm1'), false, 'withdrawn once');
    assert.equal(await web.waiting(patient, 'm1'), null);
    await web.requeue(patient, entry('m1'));
    assert.deepEqual((await web.outbox.read(patient)).map((e) => e.messageId), ['m2', 'm1'], 'put back at the end');
  } finally {
    await sub.quit();
  }
});

test('erasure through the web channel deletes the outbox and the chat history', async () => {
  const redis = await deps.redis();
  const web = new WebChannel(redis, cfg.redis.keyPrefix, 60);
  const history = new ChatHistory(redis, cfg.redis.keyPrefix, 10);
  const patient = uniqueId('p');
  await web.deliver(patient, entry('m1'));
  await history.append(patient, entry('h1').content);
  await web.forget(patient);
  assert.deepEqual(await web.outbox.read(patient), []);
  assert.deepEqual(await history.recent(patient), []);
});

test('a fallback armed twice is one, goes to one claimer, and moves up when asked to be sooner', async () => {
  const store = new FallbackStore(await deps.redis(), fallbackKey(cfg.kafka.topicPrefix, cfg.redis.keyPrefix));
  const f = { at: 10_000, organizationId: 'org', patientId: uniqueId('p'), messageId: 'm1', traceId: 't1', tried: ['WEB' as const] };
  await store.arm(f);
  await store.arm({ ...f, at: 20_000 });
  assert.deepEqual(await store.claimDue(9_999), []);
  await store.arm({ ...f, at: 5_000 }, true);
  const [a, b] = await Promise.all([store.claimDue(5_000), store.claimDue(5_000)]);
  assert.deepEqual([...(a ?? []), ...(b ?? [])], [{ ...f, at: 5_000 }], 'claimed once');
  assert.deepEqual(await store.claimDue(Number.MAX_SAFE_INTEGER), []);
});
