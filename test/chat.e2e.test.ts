import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { prepare } from '../platform/bootstrap.js';
import { connectRedis } from '../platform/storage/redis.js';
import { ChatClient, type ServerFrame } from './chat-client.js';
import { testConfig, uniqueId } from './helpers.js';
import { cleanupRun, freePort, ProductProcess, seedTenant, type TestTenant } from './product.js';

// Its own Redis namespace too: every service must honour redis.keyPrefix for the chat to work.
const cfg = testConfig({ 'clickhouse.database': uniqueId('careloop_test_'), 'redis.keyPrefix': `${uniqueId('chat')}:` });
let env: NodeJS.ProcessEnv;
let gatewayUrl: string;
let edge: ProductProcess;
let processors: ProductProcess;
let tenant: TestTenant;

async function startProcessors(): Promise<ProductProcess> {
  return ProductProcess.start(['intent', 'dialogue'], { ...env, CARELOOP_SERVICES_OPS_PORT: String(await freePort()) });
}

before(async () => {
  const [gatewayPort, apiPort, opsPort] = [await freePort(), await freePort(), await freePort()];
  env = {
    ...process.env,
    CARELOOP_KAFKA_TOPIC_PREFIX: cfg.kafka.topicPrefix, CARELOOP_CLICKHOUSE_DATABASE: cfg.clickhouse.database, CARELOOP_REDIS_KEY_PREFIX: cfg.redis.keyPrefix,
    CARELOOP_SERVICES_GATEWAY_PORT: String(gatewayPort), CARELOOP_SERVICES_API_PORT: String(apiPort), CARELOOP_SERVICES_OPS_PORT: String(opsPort),
    CARELOOP_CONSUMER_SESSION_TIMEOUT: '6s', CARELOOP_GATEWAY_RATE_LIMIT_BURST: '1000', CARELOOP_LOG_LEVEL: 'warn',
  };
  gatewayUrl = `ws://127.0.0.1:${gatewayPort}/v1/chat`;
  await prepare(cfg);
  tenant = await seedTenant(cfg, 20);
  edge = await ProductProcess.start(['gateway', 'delivery-ws', 'actions'], env);
  processors = await startProcessors();
});

after(async () => {
  await processors?.stop();
  await edge?.stop();
  await cleanupRun(cfg);
});

function patient(i: number): TestTenant['patients'][number] {
  const p = tenant.patients[i];
  assert.ok(p);
  return p;
}

/** Replies in arrival order, as the client ids they answer. */
function replyOrder(frames: readonly ServerFrame[]): Array<string | null | undefined> {
  return frames.filter((f) => f.type === 'message').map((f) => f.replyTo);
}

describe('chat over WebSocket through Kafka, intent and dialogue', () => {
  test('"I took my pills this morning" gets an ack, then a reply that names the patient\'s medication', async () => {
    const p = patient(0);
    const client = await ChatClient.connect(gatewayUrl, p.token);
    try {
      const id = client.send('I took my pills this morning');
      await client.waitFor('a reply', (fs) => fs.some((f) => f.type === 'message' && f.replyTo === id));
      const ackAt = client.frames.findIndex((f) => f.type === 'ack' && f.id === id);
      const replyAt = client.frames.findIndex((f) => f.type === 'message' && f.replyTo === id);
      assert.ok(ackAt >= 0 && ackAt < replyAt, 'the ack comes first');
      assert.match(client.frames[replyAt]?.text ?? '', new RegExp(p.medication));
    } finally {
      client.close();
    }
  });

  test('200 messages from 20 patients all get replies, each patient\'s in order', async () => {
    const clients = await Promise.all(tenant.patients.map((p) => ChatClient.connect(gatewayUrl, p.token)));
    const texts = ['hi', 'I took my pills', 'thanks', 'help', 'I forgot my medication', 'remind me in an hour', 'hola', 'gracias', 'ya tomé mi medicamento', 'thank you'];
    try {
      const sent = clients.map((c) => texts.map((t) => c.send(t)));
      await Promise.all(clients.map((c, i) => c.waitFor(`10 replies for patient ${i}`, (fs) => replyOrder(fs).filter((r) => sent[i]?.includes(r ?? '')).length >= 10, 60_000)));
      for (const [i, c] of clients.entries()) {
        assert.deepEqual(replyOrder(c.frames).filter((r) => sent[i]?.includes(r ?? '')), sent[i], `patient ${i}: one reply per message, in order`);
        assert.equal(c.frames.filter((f) => f.type === 'ack').length, 10);
        assert.equal(c.frames.filter((f) => f.type === 'error').length, 0);
      }
    } finally {
      for (const c of clients) c.close();
    }
  });

  test('a bad frame, an oversized message and a bad token get their documented errors, and the chat goes on', async () => {
    const p = patient(1);
    await assert.rejects(ChatClient.connect(gatewayUrl, 'not-a-token'), (err: { status?: number }) => err.status === 401);
    await assert.rejects(ChatClient.connect(gatewayUrl, p.token.slice(0, -4) + 'AAAA'), (err: { status?: number }) => err.status === 401);
    const client = await ChatClient.connect(gatewayUrl, p.token);
    try {
      client.sendRaw(JSON.stringify({ type: 'message', id: 'bad-1', body: 'no text field' }));
      client.sendRaw('{not json');
      client.sendRaw(JSON.stringify({ type: 'message', id: 'big-1', text: 'x'.repeat(2001) }));
      await client.waitFor('three errors', (fs) => fs.filter((f) => f.type === 'error').length >= 3);
      const errors = client.frames.filter((f) => f.type === 'error');
      assert.deepEqual(errors.map((e) => [e.id, e.code]), [['bad-1', 'BAD_FRAME'], [null, 'BAD_FRAME'], ['big-1', 'PAYLOAD_TOO_LARGE']]);
      for (const e of errors) assert.ok((e.message ?? '').length > 10, 'a human message');
      const id = client.send('I took my medication');
      await client.waitFor('the reply after the errors', (fs) => fs.some((f) => f.type === 'message' && f.replyTo === id));
    } finally {
      client.close();
    }
  });

  test('a message resent with the same id (a reconnect before its ack) is stored once: acked each time, answered once', async () => {
    const p = patient(19);
    const first = await ChatClient.connect(gatewayUrl, p.token);
    const id = first.send('thank you');
    await first.waitFor('ack', (fs) => fs.some((f) => f.type === 'ack' && f.id === id));
    first.close();
    const second = await ChatClient.connect(gatewayUrl, p.token);
    try {
      second.send('thank you', id);
      await second.waitFor('ack again', (fs) => fs.some((f) => f.type === 'ack' && f.id === id));
      await second.waitFor('the reply', (fs) => fs.some((f) => f.type === 'message' && f.replyTo === id), 30_000);
      await new Promise((r) => setTimeout(r, 1500));
      const replies = [...first.frames, ...second.frames].filter((f) => f.type === 'message' && f.replyTo === id);
      assert.equal(new Set(replies.map((f) => f.id)).size, 1, 'one reply, whichever connection showed it');
    } finally {
      second.close();
    }
  });

  test('a message whose storing a killed gateway left half done is taken at once on resend, answered once and before the next', async () => {
    const p = patient(17);
    const id = 'c0ffee00-0000-4000-8000-000000000017';
    // What a gateway killed between its "being stored" marker and the publish leaves behind.
    const redis = await connectRedis({ url: cfg.redis.url, name: 'careloop-test' });
    try { await redis.set(`${cfg.redis.keyPrefix}seen:${p.id}:${id}`, 'pending', { EX: 10 }); } finally { await redis.quit(); }
    const client = await ChatClient.connect(gatewayUrl, p.token);
    try {
      client.send('thank you', id);
      await client.waitFor('its ack', (fs) => fs.some((f) => (f.type === 'ack' && f.id === id) || (f.type === 'error' && f.id === id)));
      assert.equal(client.frames.filter((f) => f.type === 'error').length, 0, 'the resend is not refused');
      const next = client.send('help');
      await client.waitFor('both replies', (fs) => [id, next].every((m) => fs.some((f) => f.type === 'message' && f.replyTo === m)), 30_000);
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(replyOrder(client.frames).filter((r) => r === id || r === next), [id, next], 'answered once, in order');
    } finally {
      client.close();
    }
  });

  test('an emergency gets the organisation\'s emergency number at once; STOP silences everything but START', async () => {
    const client = await ChatClient.connect(gatewayUrl, patient(2).token);
    try {
      const sos = client.send('I have chest pain and I can\'t breathe');
      await client.waitFor('safety reply', (fs) => fs.some((f) => f.replyTo === sos));
      assert.match(client.frames.find((f) => f.type === 'message' && f.replyTo === sos)?.text ?? '', /call 112/);
      const stop = client.send('STOP');
      const silent = client.send('hello?');
      const start = client.send('START');
      await client.waitFor('START reply', (fs) => fs.some((f) => f.replyTo === start));
      assert.ok(client.frames.some((f) => f.type === 'message' && f.replyTo === stop), 'STOP is confirmed');
      assert.ok(!client.frames.some((f) => f.type === 'message' && f.replyTo === silent), 'no reply while opted out');
    } finally {
      client.close();
    }
  });

  test('replies queued while a patient is offline arrive on reconnect, in order, without duplicates', async () => {
    const p = patient(3);
    const first = await ChatClient.connect(gatewayUrl, p.token);
    const ids = ['hi', 'thanks', 'help'].map((t) => first.send(t));
    await first.waitFor('acks', (fs) => fs.filter((f) => f.type === 'ack').length === 3);
    first.close();
    await new Promise((r) => setTimeout(r, 3000));
    const second = await ChatClient.connect(gatewayUrl, p.token);
    try {
      // A reply may still reach the first connection before it closed; together they must hold each once.
      const answered = (id: string, fs: readonly ServerFrame[]) => fs.some((f) => f.type === 'message' && f.replyTo === id) || first.frames.some((f) => f.type === 'message' && f.replyTo === id);
      await second.waitFor('queued replies', (fs) => ids.every((id) => answered(id, fs)), 30_000);
      const seen = replyOrder(second.frames).filter((r) => ids.includes(r ?? ''));
      const before = replyOrder(first.frames).filter((r) => ids.includes(r ?? ''));
      assert.deepEqual([...before, ...seen], ids, 'every reply exactly once across both connections, in order');
    } finally {
      second.close();
    }
  });

  test('killing and restarting the intent and dialogue processors mid-flow still gives every message exactly one reply', async () => {
    const clients = await Promise.all(tenant.patients.slice(4, 14).map((p) => ChatClient.connect(gatewayUrl, p.token)));
    const texts = ['hi', 'I took my pills', 'thanks', 'help', 'hola', 'remind me later', 'I skipped my dose', 'gracias'];
    try {
      const sent: string[][] = clients.map(() => []);
      const sender = (async () => {
        for (const t of texts) {
          for (const [i, c] of clients.entries()) sent[i]?.push(c.send(t));
          await new Promise((r) => setTimeout(r, 250));
        }
      })();
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(await processors.stop('SIGKILL'), null, 'killed, not exited');
      await new Promise((r) => setTimeout(r, 500));
      processors = await startProcessors();
      await sender;
      await Promise.all(clients.map((c, i) => c.waitFor(`replies of client ${i}`, (fs) => (sent[i] ?? []).every((id) => fs.some((f) => f.type === 'message' && f.replyTo === id)), 90_000)));
      await new Promise((r) => setTimeout(r, 1500)); // room for a duplicate to show up, if any
      for (const [i, c] of clients.entries()) {
        assert.deepEqual(replyOrder(c.frames).filter((r) => sent[i]?.includes(r ?? '')), sent[i], `client ${i}: exactly one reply each, in order`);
      }
    } finally {
      for (const c of clients) c.close();
    }
  });

  test('every Redis key this run left for its patients carries the deployment\'s redis.keyPrefix', async () => {
    const redis = await connectRedis({ url: cfg.redis.url, name: 'careloop-test' });
    try {
      const keys = (await Promise.all(tenant.patients.slice(0, 5).map((p) => redis.keys(`*${p.id}*`)))).flat();
      assert.ok(keys.some((k) => k.startsWith(`${cfg.redis.keyPrefix}conversation:`)), keys.join(', '));
      assert.deepEqual(keys.filter((k) => !k.startsWith(cfg.redis.keyPrefix)), []);
    } finally {
      await redis.quit();
    }
  });
});
