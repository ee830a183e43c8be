import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import kafkajs from 'kafkajs';
import type { DeliveryStatus, OutboundMessage, PatientSignal } from '../schemas/generated/avro-types.js';
import { sessionSecret } from '../platform/auth/secrets.js';
import { issueSessionToken } from '../platform/auth/session-tokens.js';
import { prepare } from '../platform/bootstrap.js';
import { repoRoot } from '../platform/paths.js';
import { Dependencies } from '../platform/service/dependencies.js';
import { ChatClient } from './chat-client.js';
import { eventually, silentLogger, testConfig, uniqueId } from './helpers.js';
import { cleanupRun, freePort, ProductProcess } from './product.js';
import { FcmServer, WebPushEndpoint } from './push-standins.js';

const FALLBACK_AFTER_MS = 4000;
const cfg = testConfig({ 'clickhouse.database': uniqueId('careloop_test_') });
const deps = new Dependencies(cfg, silentLogger);
const staff = { kind: 'staff' as const, id: 'push-e2e', ip: '127.0.0.1', service: 'test' };
let product: ProductProcess;
let endpoint: WebPushEndpoint;
let fcm: FcmServer;
let consumer: kafkajs.Consumer;
let gateway: string;
let organizationId: string;
const outbound: OutboundMessage[] = [];
const statuses: DeliveryStatus[] = [];

interface Patient { id: string; token: string; medicationId: string }

/** A patient of the test's organisation, with a phone in the vault and SMS consent when asked. */
async function patient(i: number, sms: boolean): Promise<Patient> {
  const pool = await deps.postgres();
  const { patientId: id } = await (await deps.security()).vault.createPatient(staff, organizationId, sms ? { phone: `+1555${String(2000000 + i * 7919 + Math.floor(Math.random() * 1000))}` } : {}, 'treatment');
  await pool.query('INSERT INTO patients (id, organization_id) VALUES ($1, $2)', [id, organizationId]);
  await pool.query(`INSERT INTO patient_medications (id, patient_id, organization_id, name, dose, schedule_times) VALUES ($1, $2, $3, 'Metformin', '500 mg', ARRAY['08:00'])`, [`${id}_m`, id, organizationId]);
  if (sms) await pool.query(`INSERT INTO consents (patient_id, organization_id, channel, granted, source) VALUES ($1, $2, 'sms', true, 'test')`, [id, organizationId]);
  return { id, token: await issueSessionToken({ organizationId, patientId: id, ttlMs: 3_600_000 }, sessionSecret(cfg)), medicationId: `${id}_m` };
}

before(async () => {
  const [apiPort, gatewayPort, opsPort] = [await freePort(), await freePort(), await freePort()];
  gateway = `127.0.0.1:${gatewayPort}`;
  [endpoint, fcm] = await Promise.all([WebPushEndpoint.start(), FcmServer.start()]);
  await prepare(cfg);
  organizationId = uniqueId('org_');
  const pool = await deps.postgres();
  await pool.query(`INSERT INTO organizations (id, slug, display_name, languages) VALUES ($1, $1, 'Test Clinic', ARRAY['en','es'])`, [organizationId]);
  const key = (await (await deps.security()).apiKeys.create(organizationId, 'org_admin', 'push e2e')).token;
  product = await ProductProcess.start(['all'], {
    ...process.env, CARELOOP_KAFKA_TOPIC_PREFIX: cfg.kafka.topicPrefix, CARELOOP_CLICKHOUSE_DATABASE: cfg.clickhouse.database,
    CARELOOP_SERVICES_API_PORT: String(apiPort), CARELOOP_SERVICES_GATEWAY_PORT: String(gatewayPort), CARELOOP_SERVICES_OPS_PORT: String(opsPort),
    CARELOOP_LOG_LEVEL: 'warn', CARELOOP_CONSUMER_SESSION_TIMEOUT: '6s',
    CARELOOP_DELIVERY_FALLBACK_AFTER: `${FALLBACK_AFTER_MS}ms`, CARELOOP_DELIVERY_FALLBACK_POLL_INTERVAL: '200ms',
    CARELOOP_PUSH_CA_FILE: endpoint.caFile, CARELOOP_PUSH_FCM_SERVICE_ACCOUNT_FILE: fcm.serviceAccountFile, CARELOOP_PUSH_FCM_API_URL: fcm.apiUrl,
  });
  const source = readFileSync(join(repoRoot(), 'workflows/library/medication-adherence.flow'), 'utf8');
  const api = `http://127.0.0.1:${apiPort}`;
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const saved = await (await fetch(`${api}/v1/organizations/${organizationId}/workflows`, { method: 'POST', headers, body: JSON.stringify({ source }) })).json() as { workflowId: string; version: number };
  const published = await fetch(`${api}/v1/organizations/${organizationId}/workflows/${saved.workflowId}/versions/${saved.version}/publish`, { method: 'POST', headers: { authorization: headers.authorization } });
  assert.equal(published.status, 200);
  const catalogue = await deps.catalogue();
  consumer = new kafkajs.Kafka({ clientId: 'push-e2e', brokers: [...cfg.kafka.brokers], logLevel: kafkajs.logLevel.NOTHING }).consumer({ groupId: uniqueId('push-e2e-') });
  await consumer.connect();
  await consumer.subscribe({ topics: [`${cfg.kafka.topicPrefix}chat.outbound`, `${cfg.kafka.topicPrefix}delivery.status`], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      if (topic.endsWith('delivery.status')) statuses.push(await catalogue.decode<DeliveryStatus>(message.value));
      else outbound.push(await catalogue.decode<OutboundMessage>(message.value));
    },
  });
});
after(async () => {
  await consumer?.disconnect();
  await product?.stop();
  await Promise.all([endpoint?.close(), fcm?.close()]);
  await deps.close();
  await cleanupRun(cfg);
});

async function register(p: Patient, path: string, body: unknown): Promise<void> {
  const res = await fetch(`http://${gateway}${path}`, { method: 'POST', headers: { authorization: `Bearer ${p.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 201, await res.text());
}

async function remind(p: Patient): Promise<void> {
  const s: PatientSignal = {
    signalId: `e2e-reminder:${randomUUID()}`, traceId: randomUUID(), organizationId, patientId: p.id, type: 'dose_due', source: 'test',
    occurredAt: Date.now(), attributes: { medication_id: p.medicationId }, payload: null,
  };
  await (await deps.publisher()).publish('patient.signals', [{ key: p.id, value: s }]);
}

const channelsOf = (p: Patient): string[] => outbound.filter((m) => m.patientId === p.id).map((m) => m.channel);
const reminderShown = (c: ChatClient): number => c.frames.filter((f) => f.type === 'message' && (f.text ?? '').startsWith('Time for your Metformin')).length
  + c.frames.filter((f) => f.type === 'history').flatMap((f) => f.messages ?? []).filter((m) => m.text.startsWith('Time for your Metformin')).length;

test('a reminder goes where the patient can be reached, falls back web → push → SMS when unseen, and never arrives on two channels', async () => {
  const [pushOnly, smsOnly, pushThenSms, online, webFirst] = [await patient(0, false), await patient(1, true), await patient(2, true), await patient(3, true), await patient(4, true)];
  const sub = endpoint.subscription();
  await register(pushOnly, '/v1/push/subscriptions', sub);
  const fcmToken = `fcm-${randomUUID()}-${randomUUID()}`;
  await register(pushThenSms, '/v1/push/devices', { token: fcmToken });
  await register(online, '/v1/push/subscriptions', endpoint.subscription());
  const webFirstSub = endpoint.subscription();
  await register(webFirst, '/v1/push/subscriptions', webFirstSub);
  const preferred = await fetch(`http://${gateway}/v1/channel-preference`, { method: 'PUT', headers: { authorization: `Bearer ${webFirst.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ channel: 'web' }) });
  assert.equal(preferred.status, 204);
  const onlineChat = await ChatClient.connect(`ws://${gateway}/v1/chat`, online.token);
  await onlineChat.waitFor('history', (f) => f.some((x) => x.type === 'history'));

  for (const p of [pushOnly, smsOnly, pushThenSms, online, webFirst]) await remind(p);

  // Offline with a browser subscribed: a Web Push that decrypts, says who wrote and nothing else.
  const pushed = await eventually(async () => endpoint.received.find((r) => r.device === endpoint.deviceOf(sub.endpoint)), 60_000, 'the web push');
  assert.equal(pushed.payload['body'], 'You have a new message from Test Clinic');
  assert.ok(!JSON.stringify(pushed.payload).includes('Metformin'), 'no medication in the notification');
  // Offline with no push device: a text.
  await eventually(async () => (channelsOf(smsOnly).includes('SMS') ? true : undefined), 30_000, 'the SMS record');
  // Offline with a phone app: FCM first, then, still unseen after the fallback time, a text.
  await eventually(async () => fcm.messages.find((m) => m.message.token === fcmToken), 30_000, 'the FCM message');
  await eventually(async () => (channelsOf(pushThenSms).includes('SMS') ? true : undefined), 30_000, 'the SMS fallback');
  // Online: the chat shows it at once.
  await onlineChat.waitFor('the reminder on the web', (f) => f.some((x) => x.type === 'message' && (x.text ?? '').startsWith('Time for your Metformin')));

  // Prefers the web while offline: the outbox first, then a push, then a text, each after the fallback time.
  await eventually(async () => (channelsOf(webFirst).includes('SMS') ? true : undefined), 45_000, 'the web → push → SMS chain');

  await new Promise((r) => setTimeout(r, FALLBACK_AFTER_MS + 2000)); // every fallback has fallen due
  assert.deepEqual(channelsOf(pushOnly), ['PUSH'], 'no phone: push only, nothing after');
  assert.deepEqual(channelsOf(smsOnly), ['SMS'], 'one SMS record, once');
  assert.deepEqual(channelsOf(pushThenSms), ['PUSH', 'SMS']);
  const [first, fallback] = outbound.filter((m) => m.patientId === pushThenSms.id);
  assert.equal(fallback?.messageId, `${first?.messageId ?? ''}~sms`, 'the SMS is the fallback of the push');
  assert.deepEqual(channelsOf(online), ['WEB'], 'seen on the web: no push, no SMS');
  assert.equal(endpoint.received.filter((r) => r.device === endpoint.deviceOf(sub.endpoint)).length, 1, 'pushed once');
  const chain = outbound.filter((m) => m.patientId === webFirst.id);
  const root = chain[0]?.messageId ?? '';
  assert.deepEqual(chain.map((m) => [m.channel, m.messageId]), [['WEB', root], ['PUSH', `${root}~push`], ['SMS', `${root}~sms`]]);
  assert.equal(endpoint.received.filter((r) => r.device === endpoint.deviceOf(webFirstSub.endpoint)).length, 1, 'the push in the chain, once');
  // Every push shows its outcome on delivery.status, under the push record's own id.
  const pushStatus = (p: Patient): Array<[string, string, string | null]> => {
    const ids = new Set(outbound.filter((m) => m.patientId === p.id && m.channel === 'PUSH').map((m) => m.messageId));
    return statuses.filter((x) => ids.has(x.messageId)).map((x) => [x.channel, x.status, x.errorCode]);
  };
  await eventually(async () => (pushStatus(webFirst).length > 0 ? true : undefined), 10_000, 'the push statuses');
  assert.deepEqual(pushStatus(pushOnly), [['PUSH', 'SENT', null]], 'Web Push accepted');
  assert.deepEqual(pushStatus(pushThenSms), [['PUSH', 'SENT', null]], 'FCM accepted');
  assert.deepEqual(pushStatus(webFirst), [['PUSH', 'SENT', null]], 'the push in the chain accepted');

  // Opening the chat: the pushed reminder waits there; the one that went by SMS does not.
  const a = await ChatClient.connect(`ws://${gateway}/v1/chat`, pushOnly.token);
  await a.waitFor('the waiting reminder', (f) => reminderShown({ frames: f } as ChatClient) > 0);
  const c = await ChatClient.connect(`ws://${gateway}/v1/chat`, pushThenSms.token);
  await c.waitFor('history', (f) => f.some((x) => x.type === 'history'));
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(reminderShown(a), 1, 'the pushed reminder is shown once on the web');
  assert.equal(reminderShown(c), 0, 'a reminder sent by SMS is not also shown on the web');
  const e = await ChatClient.connect(`ws://${gateway}/v1/chat`, webFirst.token);
  await e.waitFor('history', (f) => f.some((x) => x.type === 'history'));
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(reminderShown(e), 0, 'at the end of the chain the text is the only copy');
  e.ws.close();
  assert.equal(reminderShown(onlineChat), 1);
  for (const x of [a, c, onlineChat]) x.ws.close();
});
