import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { DeliveryStatus, PatientAction } from '../schemas/generated/avro-types.js';
import { prepare } from '../platform/bootstrap.js';
import { Dependencies } from '../platform/service/dependencies.js';
import { eventually, silentLogger, testConfig, uniqueId } from './helpers.js';
import { cleanupRun, freePort, ProductProcess } from './product.js';
import { seedSmsTenant, TOKEN_ENV, TopicWatch, type SmsTenant } from './sms-fixtures.js';
import { fakeSid, postSigned, TwilioStandIn } from './twilio-standin.js';

// The caregiver loop through the product: the admin API names caregivers, the scheduler's sweep finds
// doses that closed as unknown, caregiver-notifier and delivery-sms text the caregiver through the real twilio client
// (against a local server speaking Twilio's API), and the caregiver's STOP comes in through the twilio webhook.
const PUBLIC = 'https://sms.clinic.example';
const TOKEN = randomUUID().replace(/-/g, '');
const cfg = testConfig({ 'clickhouse.database': uniqueId('careloop_test_'), 'redis.keyPrefix': `${uniqueId('cg')}:` });
const deps = new Dependencies(cfg, silentLogger);
const HOUR = 3_600_000;
let local = '';
let api = '';
let key = '';
let product: ProductProcess;
let standIn: TwilioStandIn;
let tenant: SmsTenant;
let watch: TopicWatch;

before(async () => {
  const [twilioPort, apiPort] = [await freePort(), await freePort()];
  local = `http://127.0.0.1:${twilioPort}`;
  api = `http://127.0.0.1:${apiPort}`;
  standIn = new TwilioStandIn({ authToken: TOKEN, callbacks: false, forward: (url) => url.replace(PUBLIC, local) });
  const twilioApi = await standIn.start();
  await prepare(cfg);
  tenant = await seedSmsTenant(deps, { patients: 1, senders: 1 });
  key = (await (await deps.security()).apiKeys.create(tenant.organizationId, 'org_admin', 'caregiver e2e')).token;
  watch = await TopicWatch.start(cfg, deps, ['chat.outbound', 'delivery.status']);
  product = await ProductProcess.start(['api', 'twilio', 'delivery-sms', 'caregiver-notifier', 'scheduler'], {
    ...process.env, [TOKEN_ENV]: TOKEN,
    CARELOOP_KAFKA_TOPIC_PREFIX: cfg.kafka.topicPrefix, CARELOOP_CLICKHOUSE_DATABASE: cfg.clickhouse.database, CARELOOP_REDIS_KEY_PREFIX: cfg.redis.keyPrefix,
    CARELOOP_SERVICES_TWILIO_PORT: String(twilioPort), CARELOOP_SERVICES_API_PORT: String(apiPort), CARELOOP_SERVICES_OPS_PORT: String(await freePort()),
    CARELOOP_SMS_API_BASE_URL: twilioApi, CARELOOP_SMS_WEBHOOK_BASE_URL: PUBLIC, CARELOOP_REMINDERS_CAREGIVER_SWEEP_INTERVAL: '1s',
    CARELOOP_CONSUMER_SESSION_TIMEOUT: '6s', CARELOOP_LOG_LEVEL: 'warn',
  });
});

after(async () => {
  await product?.stop();
  await watch?.stop();
  await standIn?.stop();
  await deps.close();
  await cleanupRun(cfg);
});

async function sql<T>(q: string, params: unknown[]): Promise<T[]> {
  return (await (await deps.postgres()).query(q, params)).rows as T[];
}

async function call(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${api}/v1/organizations/${tenant.organizationId}${path}`, {
    method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Dose occurrences due `hoursAgo`, never answered: the dispatcher's own rows, as the engine writes them. */
async function unansweredDoses(patientId: string, medicationId: string, hoursAgo: number[]): Promise<void> {
  for (const h of hoursAgo) {
    await sql(`INSERT INTO reminders.occurrences (deployment, id, organization_id, patient_id, kind, plan_item_id, medication_id, due_at, shard, state, dispatched_at)
               VALUES ($1, $2, $3, $4, 'dose_due', $5, $5, $6, 0, 'dispatched', $6)`,
    [cfg.kafka.topicPrefix, `occ_${randomUUID()}`, tenant.organizationId, patientId, medicationId, new Date(Date.now() - h * HOUR)]);
  }
}

const randomPhone = (): string => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

describe('the caregiver loop on the real stack', () => {
  const ann = randomPhone();
  const bob = randomPhone();
  let annId = '';
  let bobId = '';

  test('staff name two caregivers through the API; the number is stored sealed and never listed', async () => {
    const p = tenant.patients[0];
    assert.ok(p);
    const a = await call('POST', `/patients/${p.id}/caregivers`, { phone: ann, consented: true, scope: 'missed_doses' });
    assert.equal(a.status, 201);
    annId = ((await a.json()) as { caregiverId: string }).caregiverId;
    const b = await call('POST', `/patients/${p.id}/caregivers`, { phone: bob, consented: true, scope: 'missed_doses_with_medication' });
    bobId = ((await b.json()) as { caregiverId: string }).caregiverId;
    const listed = await (await call('GET', `/patients/${p.id}/caregivers`)).text();
    assert.doesNotMatch(listed, new RegExp(ann.slice(2)));
    assert.match(listed, new RegExp(annId));
    const rows = await sql<{ row: string }>('SELECT row_to_json(c)::text AS row FROM reminders.caregivers c WHERE organization_id = $1', [tenant.organizationId]);
    assert.equal(rows.length, 2);
    for (const r of rows) assert.doesNotMatch(r.row, new RegExp(`${ann.slice(2)}|${bob.slice(2)}`)); // no plaintext number anywhere in the row
    const refused = await call('POST', `/patients/${p.id}/caregivers`, { phone: ann, consented: true, scope: 'everything' });
    assert.equal(refused.status, 400);
  });

  test('three doses closed as unknown: the sweep texts each caregiver once, the medication only to the one consent allows', async () => {
    const p = tenant.patients[0];
    assert.ok(p);
    await unansweredDoses(p.id, p.medicationId, [24.2, 36, 48]);
    const toAnn = await eventually(async () => standIn.received.find((m) => m.to === ann), 30_000, 'the text to Ann');
    const toBob = await eventually(async () => standIn.received.find((m) => m.to === bob), 30_000, 'the text to Bob');
    assert.match(toAnn.body, /Pat0 has missed 3 reminders from Sunrise Clinic/);
    assert.doesNotMatch(toAnn.body, /Metformin/);
    assert.match(toBob.body, /Pat0 has missed 3 doses of Metformin/);
    await new Promise((r) => setTimeout(r, 3000)); // several more sweeps: the same run is not reported again
    assert.equal(standIn.received.filter((m) => m.to === ann || m.to === bob).length, 2);
    const audit = await sql<{ n: string }>(`SELECT count(*) AS n FROM audit.events WHERE organization_id = $1 AND patient_id = $2 AND action = 'reminders.caregiver.contact'`, [tenant.organizationId, p.id]);
    assert.equal(Number(audit[0]?.n), 2);
  });

  test('a caregiver who texts STOP is opted out (audited), confirmed, and the next text to them is dropped at the edge', async () => {
    const p = tenant.patients[0];
    assert.ok(p);
    const sid = fakeSid('SM');
    const res = await postSigned(`${local}/v1/twilio/sms`, TOKEN, { AccountSid: tenant.accountSid, MessageSid: sid, SmsSid: sid, From: ann, To: tenant.senders[0] ?? '', Body: 'STOP', NumMedia: '0', ApiVersion: '2010-04-01' }, { signedUrl: `${PUBLIC}/v1/twilio/sms` });
    assert.equal(res.status, 200);
    const confirmation = await eventually(async () => standIn.received.filter((m) => m.to === ann)[1], 30_000, 'the STOP confirmation');
    assert.match(confirmation.body, /no more caregiver messages/);
    const [row] = await sql<{ opted_out: boolean }>('SELECT opted_out FROM reminders.caregivers WHERE organization_id = $1 AND id = $2', [tenant.organizationId, annId]);
    assert.equal(row?.opted_out, true);
    const audit = await sql<{ actor_id: string }>(`SELECT actor_id FROM audit.events WHERE organization_id = $1 AND action = 'reminders.caregiver.opt_out'`, [tenant.organizationId]);
    assert.deepEqual(audit.map((a) => a.actor_id), [`cgv_${annId}`]);
    // A notify_caregiver published anyway (a replay from before the STOP): the edge drops it.
    const action: PatientAction = {
      actionId: `caregiver:${annId}:replay`, traceId: randomUUID(), organizationId: tenant.organizationId, patientId: p.id, type: 'notify_caregiver', occurredAt: Date.now(),
      causedBy: null, workflowId: null, workflowVersion: null, payload: null, attributes: { caregiver_id: annId, channel: 'sms', template_id: 'caregiver_missed_doses', missed: '4', medication_ids: '' },
    };
    await (await deps.publisher()).publish('patient.actions', [{ key: p.id, value: action }]);
    const dropped = await eventually(async () => (watch.of('delivery.status') as unknown as DeliveryStatus[]).find((s) => s.patientId === `cgv_${annId}` && s.status === 'UNDELIVERABLE'), 30_000, 'the dropped text');
    assert.equal(dropped.errorCode, 'OPTED_OUT');
    assert.equal(standIn.received.filter((m) => m.to === ann).length, 2);
  });

  test('staff remove a caregiver; removing again is 404', async () => {
    const p = tenant.patients[0];
    assert.ok(p);
    assert.equal((await call('DELETE', `/patients/${p.id}/caregivers/${bobId}`)).status, 204);
    assert.equal((await call('DELETE', `/patients/${p.id}/caregivers/${bobId}`)).status, 404);
    const list = (await (await call('GET', `/patients/${p.id}/caregivers`)).json()) as { caregivers: Array<{ id: string }> };
    assert.deepEqual(list.caregivers.map((c) => c.id), [annId]);
  });
});
