import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { issueSessionToken, verifySessionToken } from '../../platform/auth/session-tokens.js';
import { ERROR_CODES } from '../../platform/errors.js';
import { connectRedis, type RedisClient } from '../../platform/storage/redis.js';
import { Outbox } from '../../platform/stores/outbox.js';
import { RouteTable } from '../../platform/stores/routing.js';
import { ChatClient } from '../../test/chat-client.js';
import { silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { buildGatewayApp } from './app.js';
import { ChatGateway } from './gateway.js';

const cfg = testConfig();
const secret = randomBytes(32);
let redis: RedisClient;
let app: FastifyInstance;
let url: string;

before(async () => {
  redis = await connectRedis({ url: cfg.redis.url, name: 'careloop-test' });
  const chat = new ChatGateway({
    instanceId: uniqueId('gw'), log: silentLogger, outbox: new Outbox(redis), routes: new RouteTable(redis), now: Date.now,
    allow: async () => true, accept: async () => 'accepted', openReply: async () => ({ text: '', quickReplies: [] }),
  });
  app = await buildGatewayApp({ log: silentLogger, gateway: chat, maxFrameBytes: 65_536, verifyToken: (t) => verifySessionToken(t, secret) });
  url = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws') + '/v1/chat';
});
after(async () => { await app.close(); await redis.quit(); });

/** A deterministic generator, so a failing case can be replayed from its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

function malformed(next: () => number, i: number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const junk = (n: number) => Array.from({ length: n }, () => String.fromCharCode(Math.floor(next() * 0xd7ff))).join('');
  const cases: Array<() => string> = [
    () => junk(1 + Math.floor(next() * 200)),
    () => JSON.stringify({ type: 'message', id: `f${i}`, text: pick([123, null, [], {}, true, junk(5)]) }),
    () => JSON.stringify({ type: pick(['message', 'MESSAGE', 'ack', 'error', '', null, 7]), id: `f${i}`, text: 'hi' }),
    () => JSON.stringify({ type: 'message', id: pick(['', ' ', 'a'.repeat(65), '../../etc', '<script>', null, 5]), text: 'hi' }),
    () => JSON.stringify({ type: 'message', id: `f${i}`, text: 'hi', __proto__: { admin: true }, constructor: { prototype: { x: 1 } } }),
    () => '['.repeat(1 + Math.floor(next() * 5000)),
    () => JSON.stringify({ type: 'message', id: `f${i}`, text: 'x'.repeat(2001 + Math.floor(next() * 10_000)) }),
    () => JSON.stringify({ type: 'message', id: `f${i}`, text: 'hi', locale: junk(10) }),
    () => JSON.stringify(pick([null, 1, 'str', [], [1, 2], { id: 'x' }])),
    () => `{"type":"message","id":"f${i}","text":"${junk(20).replace(/["\\]/g, '')}`,
  ];
  return pick(cases)();
}

test('2,000 malformed frames each get an error frame with a known code; the connection and the server stay up', async (t) => {
  const client = await ChatClient.connect(url, await issueSessionToken({ organizationId: 'org-fuzz', patientId: uniqueId('p'), ttlMs: 60_000 }, secret));
  try {
    const next = rng(20261124);
    const total = 2000;
    for (let i = 0; i < total; i++) client.sendRaw(malformed(next, i));
    await client.waitFor('an answer to every frame', (fs) => fs.length >= total, 60_000);
    assert.equal(client.closed, false, 'the connection survived');
    const codes = new Set(Object.keys(ERROR_CODES));
    const unknown = client.frames.filter((f) => f.type !== 'error' || !codes.has(f.code ?? ''));
    assert.deepEqual(unknown.filter((f) => f.type !== 'ack' && f.type !== 'typing' && f.type !== 'history'), [], 'only error frames with known codes (and the history, acks and typing of frames that happen to be valid)');
    assert.ok(!client.frames.some((f) => f.code === 'INTERNAL'), 'no internal error');
    t.diagnostic(`fuzz: ${total} frames, ${client.frames.filter((f) => f.type === 'error').length} error frames, codes ${[...new Set(client.frames.flatMap((f) => (f.code === undefined ? [] : [f.code])))].join(', ')}`);
    client.sendRaw('{"type":"ping"}');
    await client.waitFor('pong', (fs) => fs.some((f) => f.type === 'pong'));
  } finally {
    client.close();
  }
});
