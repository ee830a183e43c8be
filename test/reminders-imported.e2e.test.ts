/*
 * The imported metformin scenario end to end, with the product's own clock shifted (clock.offset)
 * across the New York daylight-saving change of 1 November 2026: a patient imported through the FHIR
 * API with "metformin 500 mg twice daily" and a 30-day dispense is reminded at 20:00 EDT and 08:00
 * EST, answers "yes" and "no, I forgot" on the chat socket, gets the refill reminder on its due day
 * (deferred out of the organisation's quiet hours), a pickup reminder once the pharmacy has the
 * refill ready, no more than the daily cap, and nothing after STOP. Each phase restarts the product
 * at the instant it needs; adherence and PDC are recomputed here from the known answers and fills.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { OutboundMessage, PatientSignal } from '../schemas/generated/avro-types.js';
import { sessionSecret } from '../platform/auth/secrets.js';
import { issueSessionToken } from '../platform/auth/session-tokens.js';
import { prepare } from '../platform/bootstrap.js';
import { repoRoot } from '../platform/paths.js';
import { adherenceByMedication, localDay, pdc } from '../platform/reminders/adherence.js';
import { Dependencies } from '../platform/service/dependencies.js';
import { ReminderAnswers } from '../platform/stores/reminder-answers.js';
import { ReminderIndex } from '../platform/stores/reminder-index.js';
import { localParts } from '../platform/time/zones.js';
import { ChatClient, type ServerFrame } from './chat-client.js';
import { eventually, silentLogger, testConfig, uniqueId } from './helpers.js';
import { cleanupRun, freePort, ProductProcess } from './product.js';
import { TopicWatch } from './sms-fixtures.js';

const NY = 'America/New_York';
const cfg = testConfig({ 'clickhouse.database': uniqueId('careloop_test_'), 'redis.keyPrefix': `${uniqueId('rx')}:` });
const deps = new Dependencies(cfg, silentLogger);
const org = uniqueId('org_');
const run = uniqueId('r');
const DAILY_CAP = 3;
let ports: { api: number; gateway: number };
let key = '';
let product: ProductProcess | undefined;
let offset = 0;
let watch: TopicWatch;
let patientId = '';
let requestId = '';

/** Starts the product with its clock reading `at` now (the test's own clock follows the same offset). */
async function startAt(at: string, services: readonly string[]): Promise<void> {
  if (product !== undefined) cpu.push(cpuMs(product));
  await product?.stop();
  offset = Date.parse(at) - Date.now();
  const t0 = Date.now();
  product = await ProductProcess.start(services, {
    ...process.env, CARELOOP_KAFKA_TOPIC_PREFIX: cfg.kafka.topicPrefix, CARELOOP_CLICKHOUSE_DATABASE: cfg.clickhouse.database, CARELOOP_REDIS_KEY_PREFIX: cfg.redis.keyPrefix,
    CARELOOP_SERVICES_API_PORT: String(ports.api), CARELOOP_SERVICES_GATEWAY_PORT: String(ports.gateway), CARELOOP_SERVICES_OPS_PORT: String(await freePort()),
    CARELOOP_SERVICES_TWILIO_PORT: String(await freePort()), CARELOOP_LOG_LEVEL: 'warn', CARELOOP_CONSUMER_SESSION_TIMEOUT: '6s', CARELOOP_AUDIT_ANCHOR_INTERVAL: '0s',
    CARELOOP_CLOCK_OFFSET: String(offset), CARELOOP_REMINDERS_ORGANIZATIONS: org, CARELOOP_REMINDERS_REFILL_TIME: '06:30',
    CARELOOP_REMINDERS_INDEX_INTERVAL: '1s', CARELOOP_REMINDERS_POLL_INTERVAL: '200ms', CARELOOP_REMINDERS_CAREGIVER_SWEEP_INTERVAL: '0s',
  });
  startups.push(Date.now() - t0);
}
const startups: number[] = [];
const cpu: number[] = [];
/** CPU time (user + system) of a product process so far, from /proc (clock ticks of 10 ms). */
function cpuMs(p: ProductProcess): number {
  const fields = readFileSync(`/proc/${p.child.pid ?? 0}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
/** The services the scenario passes through (chat in, understanding, workflows, actions, chat out, the reminder engine). */
const PRODUCT = ['api', 'gateway', 'intent', 'dialogue', 'actions', 'delivery-ws', 'scheduler', 'reminder-planner'];
const now = (): number => Date.now() + offset;

before(async () => {
  ports = { api: await freePort(), gateway: await freePort() };
  await prepare(cfg);
  const pool = await deps.postgres();
  // The organisation's night is quiet (22:00–07:00) and it sends at most three proactive messages a day.
  await pool.query(`INSERT INTO organizations (id, slug, display_name, languages, timezone, reminder_routine, reminder_daily_cap) VALUES ($1, $1, 'Harbor Clinic', ARRAY['en','es'], $2, $3, $4)`,
    [org, NY, JSON.stringify({ quietHours: { start: '22:00', end: '07:00' } }), DAILY_CAP]);
  key = (await (await deps.security()).apiKeys.create(org, 'org_admin', 'reminders e2e')).token;
  watch = await TopicWatch.start(cfg, deps, ['patient.signals', 'chat.outbound']);
});
after(async () => {
  await product?.stop();
  await watch?.stop();
  for (const table of ['reminders.occurrences', 'reminders.answers', 'reminders.plans']) await (await deps.postgres()).query(`DELETE FROM ${table} WHERE deployment = $1`, [cfg.kafka.topicPrefix]);
  await new ReminderIndex(await deps.redis(), cfg.kafka.topicPrefix, cfg.redis.keyPrefix).clear(cfg.reminders.shards);
  await deps.close();
  await cleanupRun(cfg);
});

async function api(method: string, path: string, body?: unknown, type = 'application/json'): Promise<Response> {
  return fetch(`http://127.0.0.1:${ports.api}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': type }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

async function importBatch(resources: ReadonlyArray<Record<string, unknown>>): Promise<void> {
  const bundle = { resourceType: 'Bundle', type: 'batch', entry: resources.map((r) => ({ resource: r, request: { method: 'PUT', url: `${String(r['resourceType'])}/${String(r['id'])}` } })) };
  const res = await api('POST', '/fhir/R4', bundle, 'application/fhir+json');
  const body = await res.text();
  assert.equal(res.status, 200, body);
  for (const e of (JSON.parse(body) as { entry: Array<{ response: { status: string } }> }).entry) assert.match(e.response.status, /^20[01]/, body);
}

async function sql<T>(q: string, params: unknown[]): Promise<T[]> {
  return (await (await deps.postgres()).query(q, params)).rows as T[];
}

/** 'YYYY-MM-DD HH:MM' in New York. */
function local(at: number): string {
  const p = localParts(at, NY);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}`;
}

async function occurrences(): Promise<Array<{ id: string; kind: string; due: string; state: string; dispatched: number | null; dueAt: number }>> {
  const rows = await sql<{ id: string; kind: string; due_at: Date; state: string; dispatched_at: Date | null }>(
    'SELECT id, kind, due_at, state, dispatched_at FROM reminders.occurrences WHERE deployment = $1 AND patient_id = $2 ORDER BY due_at, id', [cfg.kafka.topicPrefix, patientId]);
  return rows.map((r) => ({ id: r.id, kind: r.kind, due: local(r.due_at.getTime()), state: r.state, dispatched: r.dispatched_at?.getTime() ?? null, dueAt: r.due_at.getTime() }));
}

const schedulerSignals = (kind: string): PatientSignal[] => (watch.of('patient.signals') as unknown as PatientSignal[]).filter((s) => s.patientId === patientId && s.source === 'scheduler' && s.type === kind);
const texts = (c: ChatClient): string[] => [...c.frames.filter((f) => f.type === 'message').map((f) => f.text ?? ''), ...c.frames.filter((f) => f.type === 'history').flatMap((f) => (f.messages ?? []).filter((m) => m.from === 'assistant').map((m) => m.text))];

/** The patient opens the chat (a session token issued on the product's clock). */
async function openChat(): Promise<ChatClient> {
  const token = await issueSessionToken({ organizationId: org, patientId, ttlMs: 3_600_000 }, sessionSecret(cfg), new Date(now()));
  const c = await ChatClient.connect(`ws://127.0.0.1:${ports.gateway}/v1/chat`, token);
  await c.waitFor('history', (f: readonly ServerFrame[]) => f.some((x) => x.type === 'history'));
  return c;
}

async function says(c: ChatClient, what: string, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  await c.waitFor(what, () => texts(c).some((t) => pattern.test(t)), timeoutMs);
}

test('imported metformin twice daily across the November DST change: reminders at 20:00 EDT and 08:00 EST, answers, refill and pickup, quiet hours, the daily cap, STOP, adherence and PDC', { timeout: 240_000 }, async (t) => {
  const started = Date.now();
  // Phase 0, Saturday 31 October 2026 12:00 EDT: workflows published, the patient imported from the hospital.
  await startAt('2026-10-31T12:00:00-04:00', ['api', 'reminder-planner']);
  for (const flow of ['medication-adherence', 'refill-pickup']) {
    const source = readFileSync(join(repoRoot(), `workflows/library/${flow}.flow`), 'utf8');
    const save = await api('POST', `/v1/organizations/${org}/workflows`, { source });
    const saved = JSON.parse(await save.text()) as { workflowId: string; version: number };
    assert.equal(save.status, 201, `${flow}: ${JSON.stringify(saved)}`);
    const published = await api('POST', `/v1/organizations/${org}/workflows/${saved.workflowId}/versions/${saved.version}/publish`);
    assert.equal(published.status, 200, `${flow}: ${await published.text()}`);
  }
  const patient = { resourceType: 'Patient', id: `pt-${run}`, identifier: [{ system: 'urn:test:mrn', value: run }], name: [{ family: 'Rivera', given: ['Ana'] }], gender: 'female', birthDate: '1961-03-04' };
  const rx = {
    resourceType: 'MedicationRequest', id: `rx-${run}`, status: 'active', intent: 'order', subject: { reference: `Patient/pt-${run}` }, authoredOn: '2026-09-01',
    medicationCodeableConcept: { text: 'Metformin 500 mg' }, dosageInstruction: [{ text: 'metformin 500 mg twice daily', timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } } }],
  };
  // Two completed 30-day fills: 1 September and 5 October (four days without tablets in between).
  const fill = (id: string, handedOver: string): Record<string, unknown> => ({
    resourceType: 'MedicationDispense', id, status: 'completed', subject: { reference: `Patient/pt-${run}` }, authorizingPrescription: [{ reference: `MedicationRequest/rx-${run}` }],
    medicationCodeableConcept: { text: 'Metformin 500 mg' }, quantity: { value: 60 }, daysSupply: { value: 30, unit: 'days' }, whenHandedOver: handedOver,
  });
  await importBatch([patient, rx, fill(`d1-${run}`, '2026-09-01T15:00:00-04:00'), fill(`d2-${run}`, '2026-10-05T15:00:00-04:00')]);
  [patientId] = (await sql<{ id: string }>('SELECT id FROM patients WHERE organization_id = $1', [org])).map((r) => r.id) as [string];
  [requestId] = (await sql<{ id: string }>('SELECT id FROM patient_medications WHERE patient_id = $1', [patientId])).map((r) => r.id) as [string];
  assert.ok(patientId !== undefined && requestId !== undefined, 'the import made a patient with one care-plan medication');

  // The planner (from patient.signals) stores the next two days: the routine's 08:00/20:00 in New York on both sides of the change.
  const planned = await eventually(async () => { const o = await occurrences(); return o.filter((x) => x.kind === 'dose_due').length >= 4 ? o : undefined; }, 30_000, 'the planned occurrences');
  assert.deepEqual(planned.filter((o) => o.kind === 'dose_due').map((o) => [o.due, new Date(o.dueAt).toISOString()]), [
    ['2026-10-31 20:00', '2026-11-01T00:00:00.000Z'], // EDT, UTC-4
    ['2026-11-01 08:00', '2026-11-01T13:00:00.000Z'], // EST, UTC-5: the clocks went back at 02:00
    ['2026-11-01 20:00', '2026-11-02T01:00:00.000Z'],
    ['2026-11-02 08:00', '2026-11-02T13:00:00.000Z'],
  ]);
  // The refill is due on day 27 of the 30 (1 November) at 06:30, inside quiet hours: it waits for 07:00.
  assert.deepEqual(planned.filter((o) => o.kind === 'refill_due').map((o) => o.due), ['2026-11-01 07:00']);
  t.diagnostic(`phase 0 (import, plan) done after ${Date.now() - started} ms`);

  // Phase A, 31 October 19:59:59 EDT: the evening reminder reaches the chat socket; the patient says yes.
  await startAt('2026-10-31T19:59:59-04:00', PRODUCT);
  let chat = await openChat();
  await says(chat, 'the 20:00 EDT reminder', /^Time for your Metformin.*Have you taken it\?/);
  const evening = await eventually(async () => schedulerSignals('dose_due')[0], 10_000, 'the dose_due signal');
  assert.equal(local(evening.occurredAt), '2026-10-31 20:00');
  chat.send('yes');
  await says(chat, 'the praise', /(Great, I have recorded your|Well done! Your) Metformin/);
  chat.close();
  t.diagnostic(`phase A done after ${Date.now() - started} ms`);

  // Phase C, Sunday 1 November 06:59:59 EST (the clocks went back in the night): the refill reminder, on its due day, at the end of quiet hours.
  await startAt('2026-11-01T06:59:59-05:00', PRODUCT);
  chat = await openChat();
  await says(chat, 'the refill reminder', /(Your Metformin.* refill is due|It is time to refill your Metformin)/);
  const refill = await eventually(async () => schedulerSignals('refill_due')[0], 10_000, 'the refill_due signal');
  assert.equal(local(refill.occurredAt), '2026-11-01 07:00');
  await says(chat, 'the offer to prepare it', /Shall I tell .* to get it ready\?/);
  chat.send('yes');
  await says(chat, 'the pharmacy is told', /Done, pick it up after/);
  chat.close();
  t.diagnostic(`phase C done after ${Date.now() - started} ms`);

  // Phase B, 1 November 07:59:59 EST: the morning reminder; "no, I forgot". Then the pharmacy has the refill ready.
  await startAt('2026-11-01T07:59:59-05:00', PRODUCT);
  chat = await openChat();
  await says(chat, 'the 08:00 EST reminder', /^Time for your Metformin.*Have you taken it\?/);
  const morning = await eventually(async () => schedulerSignals('dose_due')[1], 10_000, 'the second dose_due signal');
  assert.equal(local(morning.occurredAt), '2026-11-01 08:00');
  chat.send('no, I forgot');
  await says(chat, 'the question why', /What got in the way\?/);
  chat.send('I forgot');
  await says(chat, 'the follow-up promise', /check with you again in 30 minutes/);
  await importBatch([{
    resourceType: 'MedicationDispense', id: `d3-${run}`, status: 'in-progress', subject: { reference: `Patient/pt-${run}` }, authorizingPrescription: [{ reference: `MedicationRequest/rx-${run}` }],
    medicationCodeableConcept: { text: 'Metformin 500 mg' }, quantity: { value: 60 }, daysSupply: { value: 30, unit: 'days' }, whenPrepared: new Date(now()).toISOString(),
  }]);
  await says(chat, 'the pickup reminder', /Your Metformin.* is ready to pick up/);
  const pickup = await eventually(async () => schedulerSignals('pickup_due')[0], 10_000, 'the pickup_due signal');
  assert.ok(pickup.occurredAt >= Date.parse('2026-11-01T08:00:00-05:00'), 'the pickup reminder comes once the pharmacy has it ready');

  // The daily cap: three proactive messages on 1 November (refill, morning dose, pickup); the evening dose is not sent.
  const day = (await occurrences()).filter((o) => o.due.startsWith('2026-11-01'));
  assert.deepEqual(day.filter((o) => o.state === 'dispatched').map((o) => o.kind), ['refill_due', 'dose_due', 'pickup_due']);
  assert.equal(day.filter((o) => o.state === 'dispatched').length, DAILY_CAP);
  assert.ok(!day.some((o) => o.due === '2026-11-01 20:00' && o.state !== 'cancelled'), `the 20:00 dose is over the cap: ${JSON.stringify(day)}`);

  // Each went out within a minute or two of its time on the product's clock (the restart before it included).
  const lateness = day.filter((o) => o.dispatched !== null).map((o) => (o.dispatched ?? 0) - o.dueAt);
  assert.ok(lateness.every((ms) => ms >= 0 && ms < 180_000), `lateness ${lateness.join(', ')} ms`);
  t.diagnostic(`lateness of the 1 November reminders on the product's clock: ${lateness.join(', ')} ms`);

  // STOP on the chat: nothing proactive any more.
  chat.send('STOP');
  await says(chat, 'the opt-out confirmation', /You are unsubscribed/);
  await eventually(async () => ((await sql<{ status: string }>('SELECT status FROM patients WHERE id = $1', [patientId]))[0]?.status === 'opted_out' ? true : undefined), 10_000, 'the opt-out recorded');
  // STOP re-plans at once: the planner cancels what was still to come before this phase ends (else the
  // restart below would race the planner's backlog against the scheduler's first round).
  await eventually(async () => ((await occurrences()).some((o) => o.due >= '2026-11-02' && (o.state === 'pending' || o.state === 'indexed')) ? undefined : true), 15_000, 'the reminders after STOP cancelled');
  chat.close();
  t.diagnostic(`phase B done after ${Date.now() - started} ms`);

  // Phase D, Monday 2 November 07:59:59 EST: the 08:00 reminder does not come.
  await startAt('2026-11-02T07:59:59-05:00', PRODUCT);
  chat = await openChat();
  await new Promise((r) => setTimeout(r, 6000));
  const outbound = (watch.of('chat.outbound') as unknown as OutboundMessage[]).filter((m) => m.patientId === patientId && m.createdAt >= Date.parse('2026-11-02T00:00:00-05:00'));
  assert.deepEqual(outbound, [], 'nothing proactive after STOP');
  assert.deepEqual(schedulerSignals('dose_due').map((s) => local(s.occurredAt)), ['2026-10-31 20:00', '2026-11-01 08:00'], 'no reminder dispatched after STOP');
  chat.close();
  cpu.push(cpuMs(product as ProductProcess));

  // Adherence as the dialogue reads it, and PDC from the fills, against what the patient did.
  const answers = new ReminderAnswers(await deps.postgres(), cfg.kafka.topicPrefix);
  const at = now();
  const said = [true, false]; // "yes" on 31 October, "no, I forgot" on 1 November
  const [m] = adherenceByMedication(await answers.doseRecords(patientId, at - 30 * 86_400_000, at), at, NY);
  assert.equal(m?.medicationId, requestId);
  assert.deepEqual({ doses: m.windows[30].doses, taken: m.windows[30].taken, skipped: m.windows[30].skipped, rate: m.windows[30].rate },
    { doses: said.length, taken: said.filter(Boolean).length, skipped: said.filter((x) => !x).length, rate: said.filter(Boolean).length / said.length });
  // PDC by hand: every local day from the first fill to today, covered when a fill's supply (shifted past an earlier one) reaches it.
  const days: string[] = [];
  for (let d = Date.UTC(2026, 8, 1); d <= Date.UTC(2026, 10, 2); d += 86_400_000) days.push(new Date(d).toISOString().slice(0, 10));
  const covered = days.filter((d) => (d >= '2026-09-01' && d <= '2026-09-30') || (d >= '2026-10-05' && d <= '2026-11-03')).length;
  const measured = pdc(await answers.fills(org, patientId, requestId, NY), localDay(Date.parse('2026-09-01T12:00:00-04:00'), NY), localDay(at, NY));
  assert.deepEqual(measured, { treatmentDays: days.length, coveredDays: covered, pdc: covered / days.length, eligible: true });
  t.diagnostic(`adherence 30d ${m.windows[30].rate}; PDC ${covered}/${days.length}; startups ${startups.join(', ')} ms; product CPU per phase ${cpu.join(', ')} ms; total ${Date.now() - started} ms`);
});
