import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { prepare } from '../platform/bootstrap.js';
import { connectRedis } from '../platform/storage/redis.js';
import { outboxKey } from '../platform/stores/outbox.js';
import { ChatClient, type ServerFrame } from './chat-client.js';
import { eventually, testConfig, uniqueId } from './helpers.js';
import { cleanupRun, freePort, ProductProcess, seedTenant, type TestTenant } from './product.js';

// Regression (issue 17): a reply left the outbox at the first gateway pod that sent it, so a patient
// with sockets on two pods saw it on one only. Two gateway processes, one patient on both.
const cfg = testConfig({ 'clickhouse.database': uniqueId('careloop_test_'), 'redis.keyPrefix': `${uniqueId('pods')}:` });
let tenant: TestTenant;
let podA: ProductProcess;
let podB: ProductProcess;
let processors: ProductProcess;
const urls: string[] = [];

before(async () => {
  const base = {
    ...process.env,
    CARELOOP_KAFKA_TOPIC_PREFIX: cfg.kafka.topicPrefix, CARELOOP_CLICKHOUSE_DATABASE: cfg.clickhouse.database, CARELOOP_REDIS_KEY_PREFIX: cfg.redis.keyPrefix,
    CARELOOP_CONSUMER_SESSION_TIMEOUT: '6s', CARELOOP_GATEWAY_RATE_LIMIT_BURST: '1000', CARELOOP_LOG_LEVEL: 'warn',
  };
  const pod = async (services: string[]): Promise<ProductProcess> => {
    const port = await freePort();
    urls.push(`ws://127.0.0.1:${port}/v1/chat`);
    return ProductProcess.start(services, { ...base, CARELOOP_SERVICES_GATEWAY_PORT: String(port), CARELOOP_SERVICES_API_PORT: String(await freePort()), CARELOOP_SERVICES_OPS_PORT: String(await freePort()) });
  };
  await prepare(cfg);
  tenant = await seedTenant(cfg, 2);
  podA = await pod(['gateway', 'delivery-ws']);
  podB = await pod(['gateway']);
  processors = await ProductProcess.start(['intent', 'dialogue'], { ...base, CARELOOP_SERVICES_OPS_PORT: String(await freePort()) });
});

after(async () => {
  await processors?.stop();
  await podB?.stop();
  await podA?.stop();
  await cleanupRun(cfg);
});

const repliesTo = (frames: readonly ServerFrame[], ids: readonly string[]): Array<string | null | undefined> =>
  frames.filter((f) => f.type === 'message' && ids.includes(f.replyTo ?? '')).map((f) => f.replyTo);

describe('one patient with sockets on two gateway pods', () => {
  test('every socket, on either pod, gets every reply once and in the same order, whichever pod the message came in on', async () => {
    const p = tenant.patients[0];
    assert.ok(p);
    const [urlA, urlB] = urls as [string, string];
    const onA = await ChatClient.connect(urlA, p.token);
    const onB = await ChatClient.connect(urlB, p.token);
    const alsoOnB = await ChatClient.connect(urlB, p.token);
    const all = [onA, onB, alsoOnB];
    try {
      await Promise.all(all.map((c) => c.waitFor('history', (fs) => fs.some((f) => f.type === 'history'))));
      const sent = [onA.send('I took my pills this morning'), onB.send('thanks'), onA.send('help'), alsoOnB.send('hola'), onB.send('I forgot my medication')];
      await Promise.all(all.map((c, i) => c.waitFor(`five replies on socket ${i}`, (fs) => repliesTo(fs, sent).length >= sent.length, 60_000)));
      // Late duplicates would show up here.
      await new Promise((r) => setTimeout(r, 1500));
      // Messages from two pods reach Kafka in either order; what counts is one reply each, the same order everywhere.
      for (const [i, c] of all.entries()) assert.deepEqual([...repliesTo(c.frames, sent)].sort(), [...sent].sort(), `socket ${i}: each reply once`);
      for (const c of all.slice(1)) assert.deepEqual(repliesTo(c.frames, sent), repliesTo(onA.frames, sent), 'in the same order on every socket');
      const ids = (c: ChatClient): Array<string | null> => c.replies().filter((f) => sent.includes(f.replyTo ?? '')).map((f) => f.id);
      assert.deepEqual(ids(onB), ids(onA), 'the same messages (ids) on both pods');
      const redis = await connectRedis({ url: cfg.redis.url, name: 'careloop-test' });
      try {
        await eventually(async () => ((await redis.xLen(outboxKey(p.id, cfg.redis.keyPrefix))) === 0 ? true : undefined), 10_000, 'the outbox is empty once both pods sent');
      } finally {
        await redis.quit();
      }
    } finally {
      for (const c of all) c.close();
    }
  });

  test('a socket opened later on the other pod gets the earlier reply once (in its history) and the new ones', async () => {
    const p = tenant.patients[1];
    assert.ok(p);
    const [urlA, urlB] = urls as [string, string];
    const onA = await ChatClient.connect(urlA, p.token);
    try {
      await onA.waitFor('history', (fs) => fs.some((f) => f.type === 'history'));
      const first = onA.send('I took my pills');
      await onA.waitFor('the first reply', (fs) => repliesTo(fs, [first]).length === 1, 60_000);
      const reply = onA.replies().find((f) => f.replyTo === first);
      const late = await ChatClient.connect(urlB, p.token);
      try {
        await late.waitFor('history', (fs) => fs.some((f) => f.type === 'history'));
        // Through the history or, if it joined while pod A was still recording it, as a message: once either way.
        await new Promise((r) => setTimeout(r, 500));
        const history = late.frames.find((f) => f.type === 'history')?.messages ?? [];
        const seen = history.filter((m) => m.id === reply?.id).length + late.replies().filter((f) => f.id === reply?.id).length;
        assert.equal(seen, 1, 'the earlier reply reaches the new socket once');
        const second = late.send('thank you');
        await Promise.all([onA, late].map((c) => c.waitFor('the second reply', (fs) => repliesTo(fs, [second]).length === 1, 60_000)));
        await new Promise((r) => setTimeout(r, 1000));
        for (const c of [onA, late]) assert.equal(repliesTo(c.frames, [second]).length, 1);
      } finally {
        late.close();
      }
    } finally {
      onA.close();
    }
  });
});
