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

test('two instances of one patient: each reads from its own position; seen once one sent it, gone once both did; a late joiner starts after the seen mark', async () => {
  const redis = await deps.redis();
  const web = new WebChannel(redis, cfg.redis.keyPrefix, 60);
  const patient = uniqueId('p');
  const m = (n: number): string => `${patient}-m${n}`; // message ids are deduplicated across tests
  for (const gw of ['gw-a', 'gw-b']) { await web.routes.attach(patient, gw); await web.outbox.join(patient, gw); }
  await web.deliver(patient, entry(m(1)));
  await web.deliver(patient, entry(m(2)));
  const a = await web.outbox.pending(patient, 'gw-a');
  assert.deepEqual(a.map((e) => e.messageId), [m(1), m(2)]);
  assert.deepEqual([...(await web.outbox.claimHistory(patient, a.map((e) => e.streamId)))], a.map((e) => e.streamId), 'the first sender keeps the history lines');
  await web.outbox.ack(patient, 'gw-a', a[1]?.streamId as string);
  assert.equal(await web.waiting(patient, m(1)), null, 'shown on one pod: seen, no fallback');
  assert.equal(await web.withdraw(patient, m(2)), false, 'a seen message is not withdrawn');
  assert.deepEqual((await web.outbox.pending(patient, 'gw-a')).length, 0);
  const b = await web.outbox.pending(patient, 'gw-b');
  assert.deepEqual(b.map((e) => e.messageId), [m(1), m(2)], 'the other pod still gets both');
  assert.equal((await web.outbox.claimHistory(patient, b.map((e) => e.streamId))).size, 0, 'and does not record them in the history again');
  assert.equal((await web.outbox.read(patient)).length, 2, 'kept while an attached instance has not sent them');
  await web.outbox.ack(patient, 'gw-b', b[1]?.streamId as string);
  assert.deepEqual(await web.outbox.read(patient), [], 'gone once every attached instance sent them');
  await web.routes.attach(patient, 'gw-c');
  await web.outbox.join(patient, 'gw-c');
  await web.deliver(patient, entry(m(3)));
  assert.deepEqual((await web.outbox.pending(patient, 'gw-c')).map((e) => e.messageId), [m(3)], 'a late joiner gets what no socket was shown');
  assert.notEqual(await web.waiting(patient, m(3)), null);
});
