import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { seal } from '../../platform/crypto/envelope.js';
import { connectRedis, type RedisClient } from '../../platform/storage/redis.js';
import { Outbox } from '../../platform/stores/outbox.js';
import { RateLimiter } from '../../platform/stores/rate-limit.js';
import { RouteTable } from '../../platform/stores/routing.js';
import { ChatClient, type ServerFrame } from '../../test/chat-client.js';
import { silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { buildGatewayApp } from './app.js';
import { ChatGateway, type SessionClaims } from './gateway.js';
import type { MessageFrame } from './frames.js';
import { issueSessionToken, verifySessionToken } from '../../platform/auth/session-tokens.js';
import WebSocket from 'ws';

const cfg = testConfig();
const secret = randomBytes(32);
const key = randomBytes(32);
let redis: RedisClient;
let app: FastifyInstance;
let chat: ChatGateway;
let url: string;
const accepted: Array<{ claims: SessionClaims; frame: MessageFrame }> = [];

before(async () => {
  redis = await connectRedis({ url: cfg.redis.url, name: 'careloop-test' });
  const limiter = new RateLimiter(redis, { capacity: 3, refillPerSecond: 0.01 });
  chat = new ChatGateway({
    instanceId: uniqueId('gw'), log: silentLogger, outbox: new Outbox(redis), routes: new RouteTable(redis), now: Date.now,
    allow: (p) => limiter.take(`patient:${p}`),
    accept: async (claims, frame) => { accepted.push({ claims, frame }); return 'accepted'; },
    openReply: async (org, patient, content) => JSON.parse((await import('../../platform/crypto/envelope.js')).open(key, content, `${org}:${patient}`).toString()) as { text: string; quickReplies: string[] },
  });
  app = await buildGatewayApp({ log: silentLogger, gateway: chat, maxFrameBytes: 4096, verifyToken: (t) => verifySessionToken(t, secret) });
  url = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws') + '/v1/chat';
});

after(async () => {
  chat.closeAll();
  await app.close();
  await redis.quit();
});

async function client(patientId: string, org = 'org-a'): Promise<ChatClient> {
  return ChatClient.connect(url, await issueSessionToken({ organizationId: org, patientId, ttlMs: 60_000 }, secret));
}

test('a patient over the rate limit gets RATE_LIMITED and keeps the connection', async () => {
  const c = await client(uniqueId('p'));
  try {
    const ids = [0, 1, 2, 3].map((i) => c.send(`message ${i}`));
    const replies = (fs: readonly ServerFrame[]) => fs.filter((f) => f.type === 'ack' || f.type === 'error');
    await c.waitFor('three acks and one error', (fs) => replies(fs).length >= 4);
    assert.deepEqual(replies(c.frames).map((f) => [f.type, f.id, f.code]), [...ids.slice(0, 3).map((id) => ['ack', id, undefined]), ['error', ids[3], 'RATE_LIMITED']]);
    c.sendRaw('{"type":"ping"}');
    await c.waitFor('pong', (fs) => fs.some((f) => f.type === 'pong'));
  } finally {
    c.close();
  }
});

test('binary frames and frames over the size limit are refused', async () => {
  const c = await client(uniqueId('p'));
  try {
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await c.waitFor('error', (fs) => fs.some((f) => f.type === 'error'));
    assert.equal(c.frames[0]?.code, 'BAD_FRAME');
    c.sendRaw(JSON.stringify({ type: 'message', id: 'huge', text: 'x'.repeat(5000) }));
    await c.waitFor('close 1009', () => c.closed, 5000);
  } finally {
    c.close();
  }
});

test('a nudge drains the outbox in order to every socket of the patient, each reply once per socket, never to another tenant', async () => {
  const patientId = uniqueId('p');
  const [a, b] = [await client(patientId), await client(patientId)];
  const stranger = await client(patientId, 'org-b');
  try {
    const outbox = new Outbox(redis);
    const ids = ['r1', 'r2', 'r3'].map((r) => `${r}-${patientId}`);
    for (const id of ids) {
      await outbox.enqueue(patientId, { messageId: id, replyTo: 'c1', organizationId: 'org-a', content: seal(key, 'k', JSON.stringify({ text: `text ${id}`, quickReplies: ['ok'] }), `org-a:${patientId}`) });
    }
    await outbox.enqueue(patientId, { messageId: ids[0] as string, replyTo: 'c1', organizationId: 'org-a', content: seal(key, 'k', '{}', `org-a:${patientId}`) });
    await chat.drain(patientId);
    await chat.drain(patientId);
    for (const c of [a, b]) {
      await c.waitFor('three replies', (fs) => fs.filter((f) => f.type === 'message').length >= 3);
      assert.deepEqual(c.replies().map((f) => f.id), ids);
      assert.equal(c.replies()[0]?.text, `text ${ids[0]}`);
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(stranger.replies().length, 0, 'another organisation\'s socket for the same id sees nothing');
    assert.deepEqual(await outbox.read(patientId), [], 'delivered entries leave the queue');
  } finally {
    for (const c of [a, b, stranger]) c.close();
  }
});

test('the upgrade is refused before any socket: no token or a bad one 401, another path 404; an expired session is closed with 4401', async () => {
  const status = (u: string): Promise<number> => new Promise((resolve, reject) => {
    const ws = new WebSocket(u);
    ws.once('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate(); });
    ws.once('open', () => { ws.terminate(); reject(new Error('a socket was opened')); });
    ws.once('error', reject);
  });
  assert.equal(await status(url), 401);
  assert.equal(await status(`${url}?token=forged`), 401);
  assert.equal(await status(url.replace('/v1/chat', '/v1/other')), 404);
  assert.equal((await app.inject({ method: 'GET', url: '/v1/chat' })).statusCode, 400, 'a plain GET is told to upgrade');
  const c = await ChatClient.connect(url, await issueSessionToken({ organizationId: 'org-a', patientId: uniqueId('p'), ttlMs: 10_000 }, secret));
  const closed = new Promise<number>((resolve) => c.ws.once('close', (code) => resolve(code)));
  chat.expireSessions(Date.now() + 5000);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(c.closed, false, 'not before its expiry');
  chat.expireSessions(Date.now() + 15_000);
  assert.equal(await closed, 4401);
});
