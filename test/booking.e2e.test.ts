import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { prepare } from '../platform/bootstrap.js';
import { repoRoot } from '../platform/paths.js';
import { Dependencies } from '../platform/service/dependencies.js';
import { ChatClient } from './chat-client.js';
import { silentLogger, testConfig, uniqueId } from './helpers.js';
import { hospitalFixture, type HospitalFixture } from './hospital-fixture.js';
import { cleanupRun, freePort, ProductProcess } from './product.js';
import type { Resource } from './fhir-hospital.js';

/*
 * Booking end to end on the real stack: the patient chats, the product books at a local FHIR R4
 * hospital through the queue, the hospital's answer is what the patient hears; hospital-outbound runs
 * in a process of its own so a test can kill it in the middle of a call.
 */

const cfg = testConfig({ 'clickhouse.database': uniqueId('careloop_test_') });
const deps = new Dependencies(cfg, silentLogger);
const DAY = 86_400_000;
let fx: HospitalFixture;
let main: ProductProcess;
let outbound: ProductProcess;
let gateway: string;
let env: NodeJS.ProcessEnv;

const FRONT = ['api', 'intent', 'dialogue', 'actions', 'delivery-ws', 'analytics-sink', 'scheduler', 'reminder-planner', 'gateway', 'booking'];

async function startOutbound(): Promise<ProductProcess> {
  return ProductProcess.start(['hospital-outbound'], { ...env, CARELOOP_SERVICES_OPS_PORT: String(await freePort()) });
}

before(async () => {
  const [apiPort, gatewayPort, opsPort] = [await freePort(), await freePort(), await freePort()];
  gateway = `ws://127.0.0.1:${gatewayPort}/v1/chat`;
  await prepare(cfg);
  env = {
    ...process.env, CARELOOP_KAFKA_TOPIC_PREFIX: cfg.kafka.topicPrefix, CARELOOP_CLICKHOUSE_DATABASE: cfg.clickhouse.database,
    CARELOOP_SERVICES_API_PORT: String(apiPort), CARELOOP_SERVICES_GATEWAY_PORT: String(gatewayPort), CARELOOP_SERVICES_OPS_PORT: String(opsPort),
    CARELOOP_GATEWAY_RATE_LIMIT_BURST: '1000', CARELOOP_LOG_LEVEL: 'warn', CARELOOP_CONSUMER_SESSION_TIMEOUT: '6s',
    CARELOOP_CONSUMER_MAX_RETRIES: '2', CARELOOP_CONSUMER_RETRY_BACKOFF: '200ms', CARELOOP_BOOKING_HOSPITAL_TIMEOUT: '3s', CARELOOP_BOOKING_RECONCILE_INTERVAL: '0s',
  };
  main = await ProductProcess.start(FRONT, env);
  outbound = await startOutbound();
  // The first cardiology slot is a day and a minute away: its reminder (a day before) comes within the test.
  const firstSlotAt = Math.ceil((Date.now() + DAY + 60_000) / 60_000) * 60_000;
  fx = await hospitalFixture(cfg, deps, { patients: 6, slotsPerService: 6, firstSlotAt });
  const org = fx.tenant.organizationId;
  const key = (await (await deps.security()).apiKeys.create(org, 'org_admin', 'booking e2e')).token;
  const api = `http://127.0.0.1:${apiPort}`;
  const source = readFileSync(join(repoRoot(), 'workflows/library/appointment-booking.flow'), 'utf8');
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const saved = await (await fetch(`${api}/v1/organizations/${org}/workflows`, { method: 'POST', headers, body: JSON.stringify({ source }) })).json() as { workflowId: string; version: number };
  const published = await fetch(`${api}/v1/organizations/${org}/workflows/${saved.workflowId}/versions/${saved.version}/publish`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
  assert.equal(published.status, 200);
  await new Promise((r) => setTimeout(r, 1500)); // the dialogue picks the publication up from config.workflows
});
after(async () => {
  await outbound?.stop();
  await main?.stop();
  await fx?.hospital.stop();
  await deps.close();
  await cleanupRun(cfg);
});

/** Sends a message and waits for a reply (to it, or proactive after it) matching `expected`. */
async function say(c: ChatClient, text: string, expected: RegExp, timeoutMs = 30_000): Promise<string> {
  const from = c.frames.length;
  c.send(text);
  return heard(c, expected, timeoutMs, from);
}

async function heard(c: ChatClient, expected: RegExp, timeoutMs = 30_000, from = 0): Promise<string> {
  let found = '';
  await c.waitFor(`a reply matching ${String(expected)}`, (fs) => {
    const f = fs.slice(from).find((x) => x.type === 'message' && expected.test(x.text ?? ''));
    found = f?.text ?? '';
    return f !== undefined;
  }, timeoutMs);
  return found;
}

const appointmentsOf = (bookingId: string | undefined): Resource[] => fx.hospital.all('Appointment').filter((a) => (a['identifier'] as Array<{ value: string }> | undefined)?.[0]?.value === bookingId);
const patientOf = (a: Resource): string | undefined => (a['participant'] as Array<{ actor?: { identifier?: { value?: string } } }> | undefined)?.[0]?.actor?.identifier?.value;
const slotOf = (a: Resource | undefined): string => ((a?.['slot'] as Array<{ reference: string }> | undefined)?.[0]?.reference ?? '').replace('Slot/', '');

async function bookingOf(patientId: string, status: string): Promise<{ id: string; status: string } | undefined> {
  const pool = await deps.postgres();
  const { rows } = await pool.query<{ id: string; status: string }>('SELECT id, status FROM booking.bookings WHERE organization_id = $1 AND patient_id = $2 AND status = $3 ORDER BY created_at DESC LIMIT 1', [fx.tenant.organizationId, patientId, status]);
  return rows[0];
}

test('a cardiology appointment booked in chat exists at the hospital with its Slot busy, is reminded, rescheduled and cancelled there', async () => {
  const p = fx.tenant.patients[0];
  assert.ok(p);
  const c = await ChatClient.connect(gateway, p.token);
  try {
    await say(c, 'I need a cardiology appointment', /What is the appointment for/);
    const offer = await say(c, '1', /These times are free/);
    assert.ok(offer);
    const offered = c.frames.filter((f) => f.type === 'message' && /These times are free/.test(f.text ?? '')).at(-1)?.quickReplies ?? [];
    assert.equal(offered.length, 4, `three slots and "none": ${JSON.stringify(offered)}`);
    const confirmed = await say(c, '1', /Your appointment is confirmed for/, 30_000);
    const booked = await bookingOf(p.id, 'booked');
    const [appt] = appointmentsOf(booked?.id);
    assert.equal(appt?.['status'], 'booked', 'the Appointment exists at the hospital');
    assert.equal(slotOf(appt), fx.slotsOf['hs-cardio']?.[0], 'on the first cardiology slot');
    assert.equal(fx.hospital.get('Slot', slotOf(appt))?.['status'], 'busy', 'the Slot is busy there');
    assert.match(confirmed, new RegExp(offered[0] ?? '-'), 'the confirmed time is the one picked');
    // The day-before reminder of a slot a day and a minute away: the reminder engine's appointment_due (the reminder-planner plans it on appointment_booked).
    await heard(c, /Reminder: your appointment is tomorrow/, 120_000);
    await say(c, 'yes', /see you then/);

    await say(c, 'I need to reschedule my appointment', /These times are free/);
    await say(c, '2', /Your appointment is confirmed for/, 30_000);
    const moved = await bookingOf(p.id, 'booked');
    assert.notEqual(moved?.id, booked?.id);
    await eventuallyTrue(() => appointmentsOf(booked?.id)[0]?.['status'] === 'cancelled', 'the old Appointment cancelled at the hospital');
    await eventuallyTrue(() => fx.hospital.get('Slot', slotOf(appt))?.['status'] === 'free', 'the old Slot free again there'); // updated right after the Appointment
    const [newAppt] = appointmentsOf(moved?.id);
    assert.equal(fx.hospital.get('Slot', slotOf(newAppt))?.['status'], 'busy');

    await say(c, 'please cancel my appointment', /Do you want me to cancel/);
    await say(c, 'yes', /is cancelled/, 30_000);
    assert.equal(appointmentsOf(moved?.id)[0]?.['status'], 'cancelled');
    assert.equal(fx.hospital.get('Slot', slotOf(newAppt))?.['status'], 'free');
  } finally {
    c.close();
  }
});

async function eventuallyTrue(probe: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a hospital that refuses (409, 422, 5xx, time-out) leaves the patient told the truth and no slot held', async () => {
  const cases: Array<[number, (slot: string) => void, RegExp]> = [
    [1, (slot) => fx.hospital.change('Slot', slot, { status: 'busy' }), /no longer free, so it is not booked/],
    [2, () => fx.hospital.faults.push({ method: 'POST', type: 'Appointment', answer: 422, times: 1 }), /did not accept the booking/],
    [3, () => fx.hospital.faults.push({ method: 'POST', type: 'Appointment', answer: 503, times: 3 }), /did not answer, so your appointment/],
    [4, () => fx.hospital.faults.push({ method: 'POST', type: 'Appointment', answer: 'timeout', times: 3 }), /did not answer, so your appointment/],
  ];
  for (const [i, refuse, told] of cases) {
    const p = fx.tenant.patients[i];
    assert.ok(p);
    const c = await ChatClient.connect(gateway, p.token);
    try {
      await say(c, 'I want to book a dermatology appointment', /What is the appointment for/);
      await say(c, 'a follow-up', /These times are free/);
      // The first offered slot is the first free dermatology slot: the hospital is set to refuse it.
      const pool = await deps.postgres();
      const { rows } = await pool.query<{ slot_id: string; starts_at: Date }>('SELECT slot_id, starts_at FROM booking.offers WHERE organization_id = $1 AND patient_id = $2 ORDER BY starts_at LIMIT 1', [fx.tenant.organizationId, p.id]);
      const hospitalSlot = (fx.slotsOf['hs-derm'] ?? []).find((h) => fx.hospital.get('Slot', h)?.['start'] === rows[0]?.starts_at.toISOString()) ?? '';
      refuse(hospitalSlot);
      await say(c, '1', told, 60_000);
      const held = await pool.query('SELECT 1 FROM booking.bookings WHERE organization_id = $1 AND patient_id = $2 AND status IN (\'held\', \'booked\', \'cancelling\')', [fx.tenant.organizationId, p.id]);
      assert.equal(held.rowCount, 0, `case ${i}: no slot held`);
      if (i === 1) fx.hospital.change('Slot', hospitalSlot, { status: 'free' });
    } finally {
      c.close();
    }
  }
  const mine = new Set(cases.map(([i]) => fx.tenant.patients[i]?.id));
  assert.equal(fx.hospital.all('Appointment').filter((a) => a['status'] === 'booked' && mine.has(patientOf(a))).length, 0, 'no Appointment left booked at the hospital for them');
});

test('hospital-outbound killed in the middle of a booking: its successor retries, and the hospital holds one Appointment', async () => {
  const p = fx.tenant.patients[5];
  assert.ok(p);
  const c = await ChatClient.connect(gateway, p.token);
  try {
    await say(c, 'I need a cardiology appointment', /What is the appointment for/);
    await say(c, '1', /These times are free/);
    // The hospital creates the Appointment and then never answers: the process is killed while it waits.
    fx.hospital.faults.push({ method: 'POST', type: 'Appointment', answer: 'timeout', times: 1, afterWork: true });
    c.send('1');
    await eventuallyTrue(() => fx.hospital.all('Appointment').some((a) => a['status'] === 'booked'), 'the first try to reach the hospital');
    await outbound.stop('SIGKILL');
    outbound = await startOutbound();
    await heard(c, /Your appointment is confirmed for/, 90_000);
    const b = await bookingOf(p.id, 'booked');
    assert.equal(appointmentsOf(b?.id).length, 1, 'one Appointment for the booking');
    assert.equal(fx.hospital.all('Appointment').filter((a) => a['status'] === 'booked' && patientOf(a) === p.id).length, 1, 'and one booked at the hospital for the patient in all');
  } finally {
    c.close();
  }
});
