import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { issueSessionToken, verifySessionToken } from '../../platform/auth/session-tokens.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import { PushDevices } from '../../platform/stores/push-devices.js';
import { ChannelPreferences } from '../../platform/stores/channel-preferences.js';
import { ReachabilityReader } from '../../platform/delivery/reachability.js';
import { RouteTable } from '../../platform/stores/routing.js';
import { silentLogger, testConfig } from '../../test/helpers.js';
import { seedTenant, type TestTenant } from '../../test/product.js';
import { buildGatewayApp } from './app.js';
import { ChatGateway } from './gateway.js';

const cfg = testConfig();
const deps = new Dependencies(cfg, silentLogger);
const secret = randomBytes(32);
let app: FastifyInstance;
let tenant: TestTenant;
let devices: PushDevices;
const tokens: string[] = [];
const subscription = () => ({ endpoint: `https://push.example/${randomUUID()}`, expirationTime: null, keys: { p256dh: randomBytes(65).toString('base64url'), auth: randomBytes(16).toString('base64url') } });

before(async () => {
  tenant = await seedTenant(cfg, 2);
  const pool = await deps.postgres();
  devices = new PushDevices(pool, await deps.keyring());
  for (const p of tenant.patients) tokens.push(await issueSessionToken({ organizationId: tenant.organizationId, patientId: p.id, ttlMs: 60_000 }, secret));
  const chat = new ChatGateway({ instanceId: 'gw-test', log: silentLogger, outbox: null as never, routes: null as never, now: Date.now, allow: async () => true, accept: async () => 'accepted', openReply: async () => ({ text: '', quickReplies: [] }) });
  app = await buildGatewayApp({
    log: silentLogger, gateway: chat, maxFrameBytes: 4096, verifyToken: (t) => verifySessionToken(t, secret), ipLimiter: null,
    push: { vapidPublicKey: 'BPublicKeyForTest', register: (o, p, d) => devices.register(o, p, d), remove: (o, p, id) => devices.remove(o, p, id), prefer: (o, p, c) => new ChannelPreferences(pool).set(o, p, c) },
  });
});
after(async () => { await app.close(); await deps.close(); });

const as = (i: number) => ({ authorization: `Bearer ${tokens[i] ?? ''}` });

test('the page reads the VAPID key and a patient registers a subscription with their session token, once per endpoint', async () => {
  assert.deepEqual((await app.inject({ method: 'GET', url: '/v1/push/web-push-key' })).json(), { publicKey: 'BPublicKeyForTest' });
  const sub = subscription();
  const first = await app.inject({ method: 'POST', url: '/v1/push/subscriptions', headers: as(0), payload: sub });
  assert.equal(first.statusCode, 201, first.body);
  const again = await app.inject({ method: 'POST', url: '/v1/push/subscriptions', headers: as(0), payload: sub });
  assert.equal(again.json<{ id: string }>().id, first.json<{ id: string }>().id);
  const p0 = tenant.patients[0]?.id as string;
  const listed = await devices.list(tenant.organizationId, p0);
  assert.deepEqual(listed.map((d) => d.kind === 'webpush' && d.subscription.endpoint), [sub.endpoint], 'stored once, and opens again');
  const raw = await (await deps.postgres()).query<{ ciphertext: Buffer }>('SELECT ciphertext FROM push_devices WHERE patient_id = $1', [p0]);
  assert.ok(!raw.rows.some((r) => r.ciphertext.toString('latin1').includes('push.example')), 'the endpoint is sealed at rest');
});

test('registration needs a valid session token and a well-formed device', async () => {
  assert.equal((await app.inject({ method: 'POST', url: '/v1/push/subscriptions', payload: subscription() })).statusCode, 401);
  assert.equal((await app.inject({ method: 'POST', url: '/v1/push/devices', headers: { authorization: 'Bearer forged' }, payload: { token: 'x'.repeat(40) } })).statusCode, 401);
  assert.equal((await app.inject({ method: 'POST', url: '/v1/push/subscriptions', headers: as(0), payload: { ...subscription(), endpoint: 'http://push.example/plain' } })).statusCode, 400, 'https endpoints only');
  assert.equal((await app.inject({ method: 'POST', url: '/v1/push/subscriptions', headers: as(0), payload: { ...subscription(), extra: 1 } })).statusCode, 400, 'unknown fields refused');
  assert.equal((await app.inject({ method: 'POST', url: '/v1/push/devices', headers: as(0), payload: { token: 'short' } })).statusCode, 400);
});

test('a patient removes their own device and cannot remove another patient\'s', async () => {
  const res = await app.inject({ method: 'POST', url: '/v1/push/devices', headers: as(1), payload: { token: `fcm-${randomUUID()}-${randomUUID()}` } });
  assert.equal(res.statusCode, 201);
  const { id } = res.json<{ id: string }>();
  assert.equal((await app.inject({ method: 'DELETE', url: `/v1/push/devices/${id}`, headers: as(0) })).statusCode, 404, 'not theirs');
  assert.equal((await app.inject({ method: 'DELETE', url: `/v1/push/devices/${id}`, headers: as(1) })).statusCode, 204);
  assert.equal(await devices.count(tenant.organizationId, tenant.patients[1]?.id as string), 0);
});

test('a patient sets and clears the channel they prefer, and the channel choice reads it', async () => {
  const reach = new ReachabilityReader(await deps.postgres(), new RouteTable(await deps.redis(), cfg.redis.keyPrefix));
  const [org, p0] = [tenant.organizationId, tenant.patients[0]?.id as string];
  assert.equal((await app.inject({ method: 'PUT', url: '/v1/channel-preference', headers: as(0), payload: { channel: 'sms' } })).statusCode, 204);
  assert.equal((await reach.of(org, p0)).preference, 'SMS');
  assert.equal((await app.inject({ method: 'PUT', url: '/v1/channel-preference', headers: as(0), payload: { channel: 'fax' } })).statusCode, 400);
  assert.equal((await app.inject({ method: 'PUT', url: '/v1/channel-preference', payload: { channel: 'web' } })).statusCode, 401);
  assert.equal((await app.inject({ method: 'PUT', url: '/v1/channel-preference', headers: as(0), payload: { channel: null } })).statusCode, 204);
  assert.equal((await reach.of(org, p0)).preference, null);
});
