import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { DeliveryStatus, OutboundMessage } from '../../schemas/generated/avro-types.js';
import { ChannelClaims } from '../../platform/delivery/channel-claims.js';
import { FallbackStore, fallbackKey } from '../../platform/delivery/fallbacks.js';
import { loadVapidKeys } from '../../platform/delivery/push-keys.js';
import { WebChannel } from '../../platform/delivery/web-channel.js';
import { repoRoot } from '../../platform/paths.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import { migratePostgres } from '../../platform/storage/postgres.js';
import { PushDevices } from '../../platform/stores/push-devices.js';
import { silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { seedTenant, type TestTenant } from '../../test/product.js';
import { FcmServer, WebPushEndpoint } from '../../test/push-standins.js';
import { FcmSender, readServiceAccount } from './fcm-sender.js';
import { deliverPush, type PushPorts } from './push-job.js';
import { WebPushSender } from './web-push-sender.js';
import { Agent } from 'node:https';
import { readFileSync } from 'node:fs';

const cfg = testConfig({ 'redis.keyPrefix': `${uniqueId('pushtest')}:` });
const deps = new Dependencies(cfg, silentLogger);
let endpoint: WebPushEndpoint;
let fcmServer: FcmServer;
let tenant: TestTenant;
let ports: PushPorts;
let devices: PushDevices;
let web: WebChannel;
let fallbacks: FallbackStore;
let agent: Agent;
let claims: ChannelClaims;
const sent = new Set<string>();
const statuses: DeliveryStatus[] = [];
const statusOf = (messageId: string): Array<[string, string, string | null]> => statuses.filter((s) => s.messageId === messageId).map((s) => [s.channel, s.status, s.errorCode]);
const secretText = `Time for your Canarymed${randomUUID().slice(0, 6)}`;

before(async () => {
  const pool = await deps.postgres();
  await migratePostgres(pool, join(repoRoot(), 'platform/storage/migrations/postgres'));
  [endpoint, fcmServer, tenant] = await Promise.all([WebPushEndpoint.start(), FcmServer.start(), seedTenant(cfg, 4)]);
  const [redis, keyring] = await Promise.all([deps.redis(), deps.keyring()]);
  devices = new PushDevices(pool, keyring);
  web = new WebChannel(redis, cfg.redis.keyPrefix, 3600);
  fallbacks = new FallbackStore(redis, fallbackKey(cfg.kafka.topicPrefix, cfg.redis.keyPrefix));
  agent = new Agent({ ca: readFileSync(endpoint.caFile) });
  claims = new ChannelClaims(redis, cfg.redis.keyPrefix, 3600);
  const vapid = loadVapidKeys(cfg);
  assert.ok(vapid);
  const webPush = new WebPushSender({ keys: vapid, subject: 'mailto:ops@clinic.example', ttlSeconds: 60, agent });
  const fcm = new FcmSender(readServiceAccount(fcmServer.serviceAccountFile, ''), fcmServer.apiUrl);
  ports = {
    web, devices, fallbacks, chatUrl: 'https://chat.clinic.example/', fallbackAfter: 60_000, now: Date.now,
    webPush: (s, n) => webPush.send(s, n), fcm: (t, n) => fcm.send(t, n),
    async recipient(org, patient) {
      const { rows } = await pool.query<{ display_name: string; status: string }>('SELECT o.display_name, p.status FROM patients p JOIN organizations o ON o.id = p.organization_id WHERE p.id = $1 AND o.id = $2', [patient, org]);
      return rows[0] === undefined ? null : { organizationName: rows[0].display_name, language: 'en', active: rows[0].status === 'active' };
    },
    claim: (id) => claims.claim(id, 'PUSH'), sentBefore: async (id) => sent.has(id), markSent: async (id) => { sent.add(id); }, count: () => undefined,
    status: async (s) => { statuses.push(s); },
  };
});
after(async () => {
  agent.destroy();
  await Promise.all([endpoint.close(), fcmServer.close()]);
  await deps.close();
});

async function reminder(patientId: string): Promise<OutboundMessage> {
  const keyring = await deps.keyring();
  return {
    messageId: randomUUID(), traceId: randomUUID(), organizationId: tenant.organizationId, patientId, channel: 'PUSH', kind: 'PROACTIVE', replyTo: null,
    createdAt: Date.now(), workflowId: null, workflowVersion: null, templateId: 'dose_due', variantId: null, propensity: null,
    content: await keyring.sealText(tenant.organizationId, patientId, JSON.stringify({ text: secretText, quickReplies: ['Yes', 'No'] })),
  };
}

async function armed(messageId: string): Promise<number | null> {
  const members = await (await deps.redis()).zRangeWithScores(fallbackKey(cfg.kafka.topicPrefix, cfg.redis.keyPrefix), 0, -1);
  return members.find((m) => m.value.includes(messageId))?.score ?? null;
}

test('a Web Push notification reaches the push endpoint, decrypts with the subscription\'s keys (RFC 8291) and carries no PHI', async () => {
  const p = tenant.patients[0]?.id as string;
  const sub = endpoint.subscription();
  await devices.register(tenant.organizationId, p, { kind: 'webpush', subscription: sub });
  const m = await reminder(p);
  assert.equal(await deliverPush(m, ports), 'sent');
  const got = endpoint.received.filter((r) => r.device === endpoint.deviceOf(sub.endpoint));
  assert.equal(got.length, 1);
  assert.deepEqual(got[0]?.payload, { title: 'Test Clinic', body: 'You have a new message from Test Clinic', url: 'https://chat.clinic.example/', tag: m.messageId });
  assert.equal(got[0]?.vapid.sub, 'mailto:ops@clinic.example');
  assert.ok(!JSON.stringify(got[0]?.payload).includes('Canarymed'), 'the message text stays out of the notification');
  assert.ok((await web.waiting(p, m.messageId)) !== null, 'the message itself waits in the web outbox');
  assert.ok(((await armed(m.messageId)) ?? 0) > Date.now() + 30_000, 'its SMS fallback is armed for later');

  assert.equal(await deliverPush(m, ports), 'sent', 'a replayed record');
  assert.equal(endpoint.received.filter((r) => r.device === endpoint.deviceOf(sub.endpoint)).length, 1, 'is not pushed twice');
  assert.deepEqual(statusOf(m.messageId), [['PUSH', 'SENT', null]], 'accepted by the push service, reported once');
});

test('an FCM message reaches the FCM-speaking server with the OAuth bearer its token endpoint issued', async () => {
  const p = tenant.patients[1]?.id as string;
  const token = `fcm-${randomUUID()}-${randomUUID()}`;
  await devices.register(tenant.organizationId, p, { kind: 'fcm', token });
  const m = await reminder(p);
  assert.equal(await deliverPush(m, ports), 'sent');
  const got = fcmServer.messages.filter((x) => x.message.token === token);
  assert.equal(got.length, 1);
  assert.equal(got[0]?.projectId, fcmServer.projectId);
  assert.deepEqual(got[0]?.message.notification, { title: 'Test Clinic', body: 'You have a new message from Test Clinic' });
  assert.deepEqual(got[0]?.message.data, { url: 'https://chat.clinic.example/', tag: m.messageId });
  assert.deepEqual(fcmServer.refusedBearers, [], 'every request carried a bearer the server issued');
  assert.deepEqual(statusOf(m.messageId), [['PUSH', 'SENT', null]]);
});

test('a 410 subscription and an UNREGISTERED token are dropped, and the fallback falls due at once', async () => {
  const p = tenant.patients[2]?.id as string;
  const sub = endpoint.subscription();
  endpoint.gone.add(endpoint.deviceOf(sub.endpoint));
  const token = `fcm-dead-${randomUUID()}-${randomUUID()}`;
  fcmServer.dead.add(token);
  await devices.register(tenant.organizationId, p, { kind: 'webpush', subscription: sub });
  await devices.register(tenant.organizationId, p, { kind: 'fcm', token });
  assert.equal(await devices.count(tenant.organizationId, p), 2);
  const m = await reminder(p);
  assert.equal(await deliverPush(m, ports), 'none');
  assert.equal(await devices.count(tenant.organizationId, p), 0, 'both devices removed');
  assert.ok(((await armed(m.messageId)) ?? Infinity) <= Date.now(), 'nothing took it: the next channel is due now');
  assert.deepEqual(statusOf(m.messageId), [['PUSH', 'UNDELIVERABLE', 'PUSH_TOKEN_GONE']], 'reported as the dropped tokens');
});

test('a push to a patient who opted out since sends nothing', async () => {
  const p = tenant.patients[3]?.id as string;
  const sub = endpoint.subscription();
  await devices.register(tenant.organizationId, p, { kind: 'webpush', subscription: sub });
  await (await deps.postgres()).query("UPDATE patients SET status = 'opted_out' WHERE id = $1", [p]);
  const m = await reminder(p);
  assert.equal(await deliverPush(m, ports), 'skipped');
  assert.equal(endpoint.received.filter((r) => r.device === endpoint.deviceOf(sub.endpoint)).length, 0);
  assert.deepEqual(statusOf(m.messageId), [['PUSH', 'UNDELIVERABLE', 'OPTED_OUT']]);
});

test('a proactive record replayed onto push after the web delivered it is not pushed', async () => {
  const p = tenant.patients[0]?.id as string;
  const m = await reminder(p);
  assert.equal(await claims.claim(m.messageId, 'WEB'), true, 'delivery-ws took it first');
  const before = endpoint.received.length;
  assert.equal(await deliverPush(m, ports), 'skipped');
  assert.equal(endpoint.received.length, before);
  assert.equal(await web.waiting(p, m.messageId), null, 'not queued again either');
  assert.deepEqual(statusOf(m.messageId), [], 'the web, which delivered it, reports it');
  assert.equal(await claims.claim(m.messageId, 'WEB'), true, 'the web may deliver it again (a replay of its own)');
});
