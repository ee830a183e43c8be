import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { DeliveryStatus, OutboundMessage, PatientSignal } from '../schemas/generated/avro-types.js';
import { prepare } from '../platform/bootstrap.js';
import { Dependencies } from '../platform/service/dependencies.js';
import { eventually, silentLogger, testConfig, uniqueId } from './helpers.js';
import { cleanupRun, freePort, ProductProcess } from './product.js';
import { publishAdherence, seedSmsTenant, TOKEN_ENV, TopicWatch, type SmsTenant } from './sms-fixtures.js';
import { FAULTS, fakeSid, postSigned, TwilioStandIn, type ReceivedMessage } from './twilio-standin.js';

// The real twilio client (delivery-sms) against a local server that speaks Twilio's API; the product
// believes it is reached at PUBLIC, as behind a load balancer, and Twilio signs that URL.
const PUBLIC = 'https://sms.clinic.example';
const TOKEN = randomUUID().replace(/-/g, '');
const cfg = testConfig({ 'clickhouse.database': uniqueId('careloop_test_'), 'redis.keyPrefix': `${uniqueId('sms')}:` });
const deps = new Dependencies(cfg, silentLogger);
let local = '';
let product: ProductProcess;
let standIn: TwilioStandIn;
let tenant: SmsTenant;
let watch: TopicWatch;

before(async () => {
  const twilioPort = await freePort();
  local = `http://127.0.0.1:${twilioPort}`;
  standIn = new TwilioStandIn({ authToken: TOKEN, callbacks: true, forward: (url) => url.replace(PUBLIC, local) });
  const api = await standIn.start();
  await prepare(cfg);
  tenant = await seedSmsTenant(deps, { patients: 4, senders: 2 });
  await publishAdherence(deps, tenant.organizationId);
  watch = await TopicWatch.start(cfg, deps, ['chat.inbound', 'chat.outbound', 'delivery.status', 'patient.actions', 'dlq.delivery-sms']);
  product = await ProductProcess.start(['twilio', 'delivery-sms', 'intent', 'dialogue', 'actions'], {
    ...process.env, [TOKEN_ENV]: TOKEN,
    CARELOOP_KAFKA_TOPIC_PREFIX: cfg.kafka.topicPrefix, CARELOOP_CLICKHOUSE_DATABASE: cfg.clickhouse.database, CARELOOP_REDIS_KEY_PREFIX: cfg.redis.keyPrefix,
    CARELOOP_SERVICES_TWILIO_PORT: String(twilioPort), CARELOOP_SERVICES_OPS_PORT: String(await freePort()),
    CARELOOP_SMS_API_BASE_URL: api, CARELOOP_SMS_WEBHOOK_BASE_URL: PUBLIC, CARELOOP_SMS_RETRY_BACKOFF: '200ms',
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

/** Texts the product as Twilio would deliver an inbound SMS. */
async function text(from: string, body: string, sid = fakeSid('SM')): Promise<Response> {
  return postSigned(`${local}/v1/twilio/sms`, TOKEN, { AccountSid: tenant.accountSid, MessageSid: sid, SmsSid: sid, From: from, To: tenant.senders[0] ?? '', Body: body, NumMedia: '0', ApiVersion: '2010-04-01' }, { signedUrl: `${PUBLIC}/v1/twilio/sms` });
}

function sentTo(phone: string): ReceivedMessage[] {
  return standIn.received.filter((m) => m.to === phone);
}

async function nextText(phone: string, after: number, what: string, timeoutMs = 30_000): Promise<ReceivedMessage> {
  return eventually(async () => sentTo(phone)[after], timeoutMs, what);
}

async function sql<T>(q: string, params: unknown[]): Promise<T[]> {
  return (await (await deps.postgres()).query(q, params)).rows as T[];
}

/** A dose_due signal: the channel picker sends the reminder by SMS to a patient offline on the web with SMS consent, once. */
async function remindBySms(patientId: string, medicationId: string): Promise<void> {
  const signal: PatientSignal = { signalId: `sms-e2e:${randomUUID()}`, traceId: randomUUID(), organizationId: tenant.organizationId, patientId, type: 'dose_due', source: 'test', occurredAt: Date.now(), attributes: { medication_id: medicationId }, payload: null };
  const before = watch.of('chat.outbound').length;
  await (await deps.publisher()).publish('patient.signals', [{ key: patientId, value: signal }]);
  const mine = (): OutboundMessage[] => (watch.of('chat.outbound').slice(before) as unknown as OutboundMessage[]).filter((m) => m.patientId === patientId && m.kind === 'PROACTIVE');
  await eventually(async () => mine().find((m) => m.channel === 'SMS'), 30_000, 'the proactive reminder on the SMS channel');
  assert.deepEqual(mine().map((m) => m.channel), ['SMS'], 'one reminder, on one channel');
}

/** A proactive text straight onto chat.outbound, as the channel picker would send one: the edge alone must stop it. */
async function proactiveSms(patientId: string, body: string): Promise<string> {
  const keyring = await deps.keyring();
  const m: OutboundMessage = {
    messageId: `proactive-${randomUUID()}`, traceId: randomUUID(), organizationId: tenant.organizationId, patientId, channel: 'SMS', kind: 'PROACTIVE', replyTo: null,
    createdAt: Date.now(), workflowId: null, workflowVersion: null, templateId: 'dose_reminder', variantId: null, propensity: null,
    content: await keyring.sealText(tenant.organizationId, patientId, JSON.stringify({ text: body, quickReplies: ['Yes', 'No'] })),
  };
  await (await deps.publisher()).publish('chat.outbound', [{ key: patientId, value: m }]);
  return m.messageId;
}

describe('two-way SMS through the real twilio client', () => {
  test('a forged signature gets 403 and nothing is stored', async () => {
    const p = tenant.patients[3];
    assert.ok(p);
    const res = await postSigned(`${local}/v1/twilio/sms`, TOKEN, { AccountSid: tenant.accountSid, MessageSid: fakeSid('SM'), From: p.phone, Body: 'hello' }, { signature: 'bm90IGEgc2lnbmF0dXJl' });
    assert.equal(res.status, 403);
    // Signed for the local URL rather than the public one Twilio uses: refused too.
    const wrongUrl = await postSigned(`${local}/v1/twilio/sms`, TOKEN, { AccountSid: tenant.accountSid, MessageSid: fakeSid('SM'), From: p.phone, Body: 'hello' });
    assert.equal(wrongUrl.status, 403);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(sentTo(p.phone).length, 0);
  });

  test('a known patient verifies by date of birth, gets a reminder by SMS, answers yes, and the adherence is recorded', async () => {
    const p = tenant.patients[0];
    assert.ok(p);
    const hi = await text(p.phone, 'hi');
    assert.equal(hi.status, 200);
    assert.match(await hi.text(), /<Response><\/Response>/);
    const ask = await nextText(p.phone, 0, 'the verification prompt');
    assert.match(ask.body, /date of birth/);
    assert.doesNotMatch(ask.body, /Pat0|Metformin/); // nothing personal before verification
    assert.equal(watch.of('chat.inbound').length, 0);

    await text(p.phone, p.birthDate);
    assert.match((await nextText(p.phone, 1, 'the verified answer')).body, /verified/);
    const consent = await sql<{ granted: boolean; source: string }>(`SELECT granted, source FROM consents WHERE patient_id = $1 AND channel = 'sms'`, [p.id]);
    assert.deepEqual(consent, [{ granted: true, source: 'sms_verified' }]);

    await remindBySms(p.id, p.medicationId);
    assert.match((await nextText(p.phone, 2, 'the reminder by SMS')).body, /Metformin/);
    await text(p.phone, 'yes');
    await eventually(async () => {
      const rows = await sql<{ taken: boolean }>('SELECT taken FROM adherence_events WHERE patient_id = $1', [p.id]);
      return rows.length === 1 && rows[0]?.taken === true ? true : undefined;
    }, 30_000, 'the adherence record');
    await nextText(p.phone, 3, 'the answer to yes');
  });

  test('a retried webhook is stored once; status callbacks become delivery.status records', async () => {
    const p = tenant.patients[0];
    assert.ok(p);
    const sid = fakeSid('SM');
    const inboundBefore = watch.of('chat.inbound').length;
    for (let i = 0; i < 3; i++) assert.equal((await text(p.phone, 'what are my medications?', sid)).status, 200);
    await eventually(async () => (watch.of('chat.inbound').length > inboundBefore ? true : undefined), 20_000, 'the inbound record');
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(watch.of('chat.inbound').filter((m) => m['clientMessageId'] === sid).length, 1);

    const sent = sentTo(p.phone)[0];
    assert.ok(sent);
    const statuses = await eventually(async () => {
      const s = (watch.of('delivery.status') as unknown as DeliveryStatus[]).filter((d) => d.channel === 'SMS' && d.patientId !== p.id ? false : d.channel === 'SMS');
      return s.some((d) => d.status === 'DELIVERED') && s.some((d) => d.status === 'SENT') ? s : undefined;
    }, 20_000, 'SENT and DELIVERED statuses');
    assert.ok(statuses.every((d) => d.organizationId === tenant.organizationId));
  });

  test('STOP stops everything and is confirmed once; HELP names the organisation; START resumes', async () => {
    const p = tenant.patients[0];
    assert.ok(p);
    const n = sentTo(p.phone).length;
    await text(p.phone, 'STOP');
    const confirmation = await nextText(p.phone, n, 'the STOP confirmation');
    await eventually(async () => ((await sql<{ status: string }>('SELECT status FROM patients WHERE id = $1', [p.id]))[0]?.status === 'opted_out' ? true : undefined), 20_000, 'opted out');
    const refused = await proactiveSms(p.id, 'Time for your Metformin. Have you taken it?');
    await eventually(async () => (watch.of('delivery.status') as unknown as DeliveryStatus[]).find((d) => d.messageId === refused && d.errorCode === 'OPTED_OUT'), 20_000, 'the reminder refused at the edge');
    await text(p.phone, 'HELP');
    const help = await nextText(p.phone, n + 1, 'the HELP answer');
    assert.match(help.body, /Sunrise Clinic/);
    assert.match(help.body, /555 010 9999/);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(sentTo(p.phone).length, n + 2, 'only the STOP confirmation and the HELP answer');
    assert.match(confirmation.body, /STOP|stop|unsubscribed|no more|will not/i);

    await text(p.phone, 'START');
    await nextText(p.phone, n + 2, 'the START confirmation');
    await eventually(async () => ((await sql<{ granted: boolean }>(`SELECT granted FROM consents WHERE patient_id = $1 AND channel = 'sms'`, [p.id]))[0]?.granted === true ? true : undefined), 20_000, 'consent again');
    await remindBySms(p.id, p.medicationId);
    assert.match((await nextText(p.phone, n + 3, 'a reminder after START')).body, /Metformin/);
  });

  test('two long codes, 100 texts through a 429 storm: none lost, no sender over 1 message/s; 21610 opts the patient out', async (t) => {
    const [a, b, c] = [tenant.patients[1], tenant.patients[2], tenant.patients[3]];
    assert.ok(a && b && c);
    await sql(`INSERT INTO consents (patient_id, organization_id, channel, granted, source) VALUES ($1, $2, 'sms', true, 'test') ON CONFLICT DO NOTHING`, [c.id, tenant.organizationId]);
    standIn.faultsByNumber.set(c.phone, FAULTS.unsubscribed);
    standIn.failNext(40, FAULTS.tooManyRequests);
    const keyring = await deps.keyring();
    const started = standIn.received.length;
    const records = await Promise.all(Array.from({ length: 100 }, async (_, i) => {
      const p = i % 2 === 0 ? a : b;
      const m: OutboundMessage = {
        messageId: `bulk-${randomUUID()}`, traceId: randomUUID(), organizationId: tenant.organizationId, patientId: p.id, channel: 'SMS', kind: 'SYSTEM', replyTo: null,
        createdAt: Date.now(), workflowId: null, workflowVersion: null, templateId: 'bulk', variantId: null, propensity: null,
        content: await keyring.sealText(tenant.organizationId, p.id, JSON.stringify({ text: `Notice #${i}`, quickReplies: [] })),
      };
      return { key: p.id, value: m };
    }));
    const toC: OutboundMessage = { ...(records[0]?.value as OutboundMessage), messageId: `unsub-${randomUUID()}`, patientId: c.id, kind: 'PROACTIVE', content: await keyring.sealText(tenant.organizationId, c.id, JSON.stringify({ text: 'Reminder', quickReplies: [] })) };
    await (await deps.publisher()).publish('chat.outbound', [...records, { key: c.id, value: toC }]);
    const bulk = await eventually(async () => {
      const got = standIn.received.slice(started).filter((m) => m.body.startsWith('Notice #'));
      return got.length >= 100 ? got : undefined;
    }, 120_000, '100 texts');
    await new Promise((r) => setTimeout(r, 1500));
    const all = standIn.received.slice(started).filter((m) => m.body.startsWith('Notice #'));
    assert.equal(new Set(all.map((m) => m.body)).size, 100, 'every text arrived');
    assert.equal(all.length, 100, 'and none twice');
    let minGap = Infinity;
    for (const sender of tenant.senders) {
      const times = standIn.received.filter((m) => m.from === sender).map((m) => m.at).sort((x, y) => x - y);
      for (let i = 1; i < times.length; i++) minGap = Math.min(minGap, (times[i] as number) - (times[i - 1] as number));
    }
    const perSender = tenant.senders.map((s) => bulk.filter((m) => m.from === s).length);
    t.diagnostic(`100 texts over 2 long codes: ${perSender.join(' + ')}; smallest gap between two texts of one sender ${minGap.toFixed(1)} ms; violations ${standIn.violations.length}`);
    assert.ok(minGap >= 950, `a sender sent twice within ${minGap} ms`);
    assert.deepEqual(standIn.violations, []);

    await eventually(async () => ((await sql<{ status: string }>('SELECT status FROM patients WHERE id = $1', [c.id]))[0]?.status === 'opted_out' ? true : undefined), 30_000, 'opted out by 21610');
    const consent = await sql<{ granted: boolean; source: string }>(`SELECT granted, source FROM consents WHERE patient_id = $1 AND channel = 'sms'`, [c.id]);
    assert.deepEqual(consent, [{ granted: false, source: 'carrier_21610' }]);
    assert.ok(watch.of('dlq.delivery-sms').some((d) => d['errorCode'] === 'TWILIO_21610'));
  });
});
