import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { PatientSignal } from '../../schemas/generated/avro-types.js';
import { createTestTopics, eventually, silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { readTopicToEnd } from '../../platform/kafka/admin.js';
import { allTopics } from '../../platform/kafka/topics.js';
import { repoRoot } from '../../platform/paths.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import { createMetrics } from '../../platform/service/metrics.js';
import { migratePostgres, type PgPool } from '../../platform/storage/postgres.js';
import { ReminderIndex } from '../../platform/stores/reminder-index.js';
import { OccurrenceStore } from '../../platform/stores/reminder-occurrences.js';
import { scheduler } from './main.js';
import { ReminderEngine, reminderOptions } from './reminder-engine.js';
import { createReminderMetrics, type ReminderMetrics } from './reminder-metrics.js';

const cfg = testConfig({ 'reminders.enabled': 'true', 'reminders.shards': '4', 'reminders.visibilityTimeout': '30s', 'reminders.planHorizon': '2d' });
const deps = new Dependencies(cfg, silentLogger);
const cleanups: Array<() => Promise<void>> = [];
let pool: PgPool;
const HOUR = 3_600_000;
const at = (iso: string): number => Date.parse(iso);

before(async () => {
  cleanups.push(await createTestTopics(cfg, allTopics().filter((t) => t.name === 'patient.signals')));
  pool = await deps.postgres();
  await migratePostgres(pool, join(repoRoot(), 'platform/storage/migrations/postgres'));
});
after(async () => {
  await pool.query('DELETE FROM reminders.occurrences WHERE deployment = $1', [cfg.kafka.topicPrefix]);
  await pool.query('DELETE FROM reminders.plans WHERE deployment = $1', [cfg.kafka.topicPrefix]);
  await new ReminderIndex(await deps.redis(), cfg.kafka.topicPrefix, cfg.redis.keyPrefix).clear(cfg.reminders.shards);
  for (const c of cleanups.reverse()) await c();
  await deps.close();
});

async function engine(index?: ReminderIndex, dispatchConcurrency = cfg.reminders.dispatchConcurrency): Promise<{ engine: ReminderEngine; metrics: ReminderMetrics; index: ReminderIndex }> {
  const metrics = createReminderMetrics(createMetrics(false).registry);
  const idx = index ?? new ReminderIndex(await deps.redis(), cfg.kafka.topicPrefix, cfg.redis.keyPrefix);
  const occurrences = new OccurrenceStore(pool, cfg.kafka.topicPrefix);
  const e = new ReminderEngine({ pool, occurrences, index: idx, publisher: await deps.publisher(), metrics, newTraceId: randomUUID }, { ...reminderOptions(cfg.reminders), dispatchConcurrency });
  return { engine: e, metrics, index: idx };
}

/** An organisation in `timeZone` and one patient; returns their ids. */
async function seedPatient(timeZone: string): Promise<{ org: string; patient: string }> {
  const org = uniqueId('org_');
  const patient = `${org}_p`;
  await pool.query(`INSERT INTO organizations (id, slug, display_name, timezone) VALUES ($1, $1, 'Reminder Clinic', $2)`, [org, timeZone]);
  await pool.query(`INSERT INTO patients (id, organization_id) VALUES ($1, $2)`, [patient, org]);
  return { org, patient };
}

async function signalsOf(patient: string): Promise<PatientSignal[]> {
  const catalogue = await deps.catalogue();
  const records = await readTopicToEnd(cfg.kafka, `${cfg.kafka.topicPrefix}patient.signals`);
  const all = await Promise.all(records.map((r) => catalogue.decode<PatientSignal>(r.value)));
  return all.filter((s) => s.patientId === patient);
}

const count = async (c: { get(): Promise<{ values: Array<{ value: number; labels: Record<string, string | number> }> }> }, label?: [string, string]): Promise<number> =>
  (await c.get()).values.filter((v) => label === undefined || v.labels[label[0]] === label[1]).reduce((n, v) => n + v.value, 0);

test('metformin twice daily, imported with a 5-day dispense in New York, is dispatched at 08:00 and 20:00 local across the spring-forward change, and the refill on its day', async () => {
  const { org, patient } = await seedPatient('America/New_York');
  const med = `${patient}_rx1`;
  await pool.query(`INSERT INTO patient_medications (id, patient_id, organization_id, name, dose, schedule_times, source) VALUES ($1, $2, $3, 'Metformin', '500 mg', ARRAY['08:00','20:00'], 'fhir')`, [med, patient, org]);
  await pool.query(`INSERT INTO care.medication_requests (organization_id, id, patient_id, status, intent, authored_on, timing) VALUES ($1, $2, $3, 'active', 'order', '2026-03-01T12:00:00Z', $4)`,
    [org, med, patient, JSON.stringify([{ frequency: 2, period: 1, periodUnit: 'd', timeOfDay: [], dayOfWeek: [], boundsStart: null, boundsEnd: null, asNeeded: false }])]);
  await pool.query(`INSERT INTO care.medication_dispenses (organization_id, id, patient_id, request_id, status, days_supply, when_handed_over) VALUES ($1, $2, $3, $4, 'completed', 5, '2026-03-06T15:00:00Z')`,
    [org, `${patient}_disp`, patient, med]);

  const { engine: e, metrics } = await engine();
  const start = at('2026-03-07T06:00Z');
  const planned = await e.planPatient(patient, start);
  assert.equal(planned.added, 5, 'four doses and one refill in the two-day horizon');
  assert.deepEqual(await e.planPatient(patient, start), { added: 0, cancelled: 0 }, 'planning again changes nothing: the ids are stable');

  // The fake clock walks the two days in 10-minute steps; each step indexes and dispatches as the loops would.
  for (let now = start; now <= start + 48 * HOUR; now += 10 * 60_000) {
    await e.index(now);
    await e.dispatch(now);
  }
  const { rows } = await pool.query<{ id: string; kind: string; due_at: Date; dispatched_at: Date | null; deliveries: number }>(
    'SELECT id, kind, due_at, dispatched_at, deliveries FROM reminders.occurrences WHERE deployment = $1 AND patient_id = $2 ORDER BY due_at', [cfg.kafka.topicPrefix, patient]);
  assert.deepEqual(rows.map((r) => [r.kind, r.due_at.toISOString()]), [
    ['dose_due', '2026-03-07T13:00:00.000Z'], // 08:00 EST
    ['dose_due', '2026-03-08T01:00:00.000Z'], // 20:00 EST
    ['dose_due', '2026-03-08T12:00:00.000Z'], // 08:00 EDT: the clocks went forward at 02:00
    ['refill_due', '2026-03-08T14:00:00.000Z'], // 10:00 EDT, three days before the supply runs out on the 11th
    ['dose_due', '2026-03-09T00:00:00.000Z'], // 20:00 EDT
  ]);
  for (const r of rows) {
    assert.ok(r.dispatched_at !== null && r.deliveries === 1, `${r.kind} dispatched once`);
    const late = r.dispatched_at.getTime() - r.due_at.getTime();
    assert.ok(late >= 0 && late < 10 * 60_000, `${r.kind} dispatched at its due time, within one clock step (${late} ms late)`);
  }

  const signals = await signalsOf(patient);
  assert.deepEqual(signals.map((s) => s.signalId).sort(), rows.map((r) => r.id).sort(), 'one signal per occurrence, its id the signal id');
  for (const s of signals) {
    assert.equal(s.attributes['medication_id'], med, 'the care-plan id, for doses and the refill alike');
    assert.ok(!JSON.stringify(s.attributes).toLowerCase().includes('metformin'), 'no medication name in the signal');
  }
  assert.equal(await count(metrics.dispatched), 5);
  assert.equal(await count(metrics.due), 5);
  const lateness = (await metrics.lateness.get()).values.find((v) => v.metricName === 'careloop_reminders_lateness_seconds_count' && v.labels['kind'] === 'dose_due');
  assert.equal(lateness?.value, 4, 'lateness observed for each dose');

  // The operator's view, through the real CLI: local times, ids, no names.
  const shown = spawnSync(process.execPath, [join(repoRoot(), 'dist/cli/main.js'), 'reminders', 'show', patient, '--from', '2026-03-07T00:00Z'],
    { encoding: 'utf8', env: { ...process.env, CARELOOP_KAFKA_TOPIC_PREFIX: cfg.kafka.topicPrefix } });
  assert.equal(shown.status, 0, shown.stderr);
  const lines = shown.stdout.trim().split('\n');
  assert.match(lines[0] ?? '', /\(America\/New_York\): 5 reminder occurrences/);
  assert.deepEqual(lines.slice(1).map((l) => l.trim().slice(0, 16)), ['2026-03-07 08:00', '2026-03-07 20:00', '2026-03-08 08:00', '2026-03-08 10:00', '2026-03-08 20:00']);
  assert.ok(lines.slice(1).every((l) => l.includes('dispatched') && l.includes(`medication ${med}`)), shown.stdout);
  assert.ok(!/metformin/i.test(shown.stdout), 'no medication name');
});

test('a claim left unacknowledged (the loop killed between claim and ack) is redelivered once after the visibility timeout; a lost ack after publishing sends nothing twice; a Redis flush loses nothing', async () => {
  const { org, patient } = await seedPatient('UTC');
  const med = `${patient}_m`;
  // Enrolled through the API before the fake clock's day (the schedule counts from enrolment).
  await pool.query(`INSERT INTO patient_medications (id, patient_id, organization_id, name, dose, schedule_times, created_at) VALUES ($1, $2, $3, 'Lisinopril', '10 mg', ARRAY['09:00','21:00'], '2026-05-01T00:00:00Z')`, [med, patient, org]);
  const { engine: e, metrics, index } = await engine();
  const t0 = at('2026-06-01T08:00Z');
  await e.planPatient(patient, t0);
  const nine = at('2026-06-01T09:00Z');
  await e.index(t0);
  assert.equal(await e.dispatch(nine), 0, 'not in the index yet: beyond the 10-minute index horizon at 08:00');
  await e.index(nine - 5 * 60_000);

  // Killed after the claim: nothing published, nothing acknowledged.
  let claimed: Awaited<ReturnType<ReminderEngine['claim']>> = [];
  for (let shard = 0; shard < cfg.reminders.shards && claimed.length === 0; shard++) claimed = await e.claim(shard, nine);
  assert.equal(claimed.length, 1, 'the 09:00 dose is claimed');
  assert.equal(await e.dispatch(nine + 29_999), 0, 'still in flight before the visibility timeout');
  assert.equal(await e.dispatch(nine + 30_000), 1, 'redelivered after it');
  assert.equal(await e.dispatch(nine + 120_000), 0, 'acknowledged: not again');
  assert.equal(await count(metrics.redelivered), 1, 'counted once as a redelivery');

  // Killed after publishing, before the acknowledgement: the redelivery finds it dispatched and drops it.
  const faulty = Object.assign(Object.create(index) as ReminderIndex, { ack: () => Promise.reject(new Error('killed before ack')) });
  const { engine: dying } = await engine(faulty);
  const evening = at('2026-06-01T21:00Z');
  await e.index(evening);
  await assert.rejects(dying.dispatch(evening), /killed before ack/);
  assert.equal(await e.dispatch(evening + 30_000), 0, 'the redelivered claim is already dispatched: no second signal');
  assert.equal(await count(metrics.stale), 1);

  // Redis flushed: the next index round rebuilds from PostgreSQL.
  const tomorrow = at('2026-06-02T08:58Z');
  await e.index(tomorrow);
  await index.clear(cfg.reminders.shards);
  await e.index(tomorrow);
  assert.equal(await e.dispatch(at('2026-06-02T09:00Z')), 1, 'the flushed 09:00 dose still comes');

  const signals = await signalsOf(patient);
  const ids = signals.map((s) => s.signalId);
  assert.equal(ids.length, 3, `three doses, three signals (${ids.join(', ')})`);
  assert.equal(new Set(ids).size, 3, 'none twice');
});

test('a reminder indexed again while its claim is in flight (a kill cut the indexing transaction after the Redis write) goes out once', async () => {
  const { org, patient } = await seedPatient('UTC');
  const med = `${patient}_m`;
  await pool.query(`INSERT INTO patient_medications (id, patient_id, organization_id, name, dose, schedule_times, created_at) VALUES ($1, $2, $3, 'Lisinopril', '10 mg', ARRAY['09:00'], '2026-05-01T00:00:00Z')`, [med, patient, org]);
  const { engine: e } = await engine();
  const nine = at('2026-09-01T09:00Z');
  // The earlier tests' future reminders are not this test's: out of the way, so the counts are exact.
  await pool.query(`UPDATE reminders.occurrences SET state = 'cancelled' WHERE deployment = $1 AND state IN ('pending', 'indexed')`, [cfg.kafka.topicPrefix]);
  await e.planPatient(patient, nine - 3_600_000);
  await e.index(nine - 5 * 60_000);
  let claimed: Awaited<ReturnType<ReminderEngine['claim']>> = [];
  let shard = 0;
  for (; shard < cfg.reminders.shards && claimed.length === 0; shard++) claimed = await e.claim(shard, nine);
  assert.equal(claimed.length, 1, 'claimed by a scheduler that then dies');
  // The indexing transaction rolled back after its ZADD: the same member is in the due set again.
  const { redelivery: _r, member: _m, deadline: _d, ...indexed } = claimed[0] as (typeof claimed)[number];
  const idx = new ReminderIndex(await deps.redis(), cfg.kafka.topicPrefix, cfg.redis.keyPrefix);
  await idx.add(shard - 1, [indexed]);
  assert.equal(await e.dispatch(nine + 1_000), 0, 'the due copy stays with the claim in flight');
  assert.equal(await e.dispatch(nine + 31_000), 1, 'the claim, redelivered after the visibility timeout, sends it');
  assert.equal(await e.dispatch(nine + 120_000), 0, 'and nothing after');
  const ids = (await signalsOf(patient)).map((s) => s.signalId);
  assert.deepEqual(ids, [claimed[0]?.id], 'one signal');
});

test('the scheduler service, with reminders on for one organisation, plans, indexes and dispatches on its injected clock', async () => {
  const { org, patient } = await seedPatient('Europe/Madrid');
  await pool.query(`INSERT INTO patient_medications (id, patient_id, organization_id, name, dose, schedule_times, created_at) VALUES ($1, $2, $3, 'Atorvastatin', '20 mg', ARRAY['22:00'], '2026-01-01T00:00:00Z')`, [`${patient}_m`, patient, org]);
  const svcCfg = testConfig({
    'kafka.topicPrefix': cfg.kafka.topicPrefix, 'audit.anchorInterval': '0s', 'reminders.enabled': 'true', 'reminders.shards': '4', 'reminders.organizations': org,
    'reminders.pollInterval': '50ms', 'reminders.indexInterval': '50ms', 'reminders.planInterval': '100ms',
  });
  let now = at('2026-10-24T19:55Z'); // 21:55 in Madrid (CEST, UTC+2)
  const svcDeps = new Dependencies(svcCfg, silentLogger);
  const service = await scheduler.start({ cfg: svcCfg, log: silentLogger, metrics: createMetrics(false), deps: svcDeps, now: () => now });
  try {
    await eventually(async () => ((await pool.query('SELECT 1 FROM reminders.occurrences WHERE deployment = $1 AND patient_id = $2', [cfg.kafka.topicPrefix, patient])).rowCount ?? 0) > 0 || undefined, 30_000, 'the plan');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await signalsOf(patient)).length, 0, 'nothing before 22:00 local');
    now = at('2026-10-24T20:00:01Z');
    const sent = await eventually(async () => { const s = await signalsOf(patient); return s.length > 0 ? s : undefined; }, 30_000, 'the 22:00 dose');
    assert.deepEqual(sent.map((s) => [s.type, s.signalId]), [['dose_due', `dose_due:${patient}_m:2026-10-24T20:00:00.000Z`]]);
  } finally {
    await service.stop();
    await svcDeps.close();
  }
});

test('a stopped prescription cancels its future reminders at once, even those already in the due index; the other medication still comes', async () => {
  const { org, patient } = await seedPatient('UTC');
  for (const [id, name] of [['a', 'Amlodipine'], ['b', 'Bisoprolol']]) {
    await pool.query(`INSERT INTO patient_medications (id, patient_id, organization_id, name, schedule_times, created_at) VALUES ($1, $2, $3, $4, ARRAY['09:00'], '2026-01-01T00:00:00Z')`, [`${patient}_${id}`, patient, org, name]);
  }
  const { engine: e, metrics } = await engine();
  const t0 = at('2026-07-01T08:55Z');
  assert.equal((await e.planPatient(patient, t0)).added, 4, 'two medications, two days');
  await e.index(t0);
  await pool.query('UPDATE patient_medications SET active = false WHERE id = $1', [`${patient}_b`]);
  assert.equal(await e.onSignal({ type: 'chat_opened', patientId: patient }, t0), false, 'other signals change nothing');
  assert.equal(await e.onSignal({ type: 'medication_stopped', patientId: patient }, t0), true);
  const { rows } = await pool.query<{ plan_item_id: string; state: string }>(
    'SELECT plan_item_id, state FROM reminders.occurrences WHERE deployment = $1 AND patient_id = $2 ORDER BY plan_item_id, due_at', [cfg.kafka.topicPrefix, patient]);
  assert.deepEqual(rows.map((r) => [r.plan_item_id.slice(-1), r.state]), [['a', 'indexed'], ['a', 'pending'], ['b', 'cancelled'], ['b', 'cancelled']]);
  assert.equal(await e.dispatch(at('2026-07-01T09:00Z')), 1, 'only the active medication');
  assert.equal(await count(metrics.stale), 1, 'the indexed reminder of the stopped one was dropped on claim');
  assert.equal(await count(metrics.suppressed, ['reason', 'cancelled']), 1, 'and counted as suppressed, cancelled');
  assert.equal(await count(metrics.replanned, ['signal', 'medication_stopped']), 1);
  const signals = await signalsOf(patient);
  assert.deepEqual(signals.map((s) => s.attributes['medication_id']), [`${patient}_a`]);
});

test('a STOP committed after indexing, before the planner has re-planned, holds the due reminder back at dispatch and cancels it', async () => {
  const { org, patient } = await seedPatient('UTC');
  await pool.query(`INSERT INTO patient_medications (id, patient_id, organization_id, name, schedule_times, created_at) VALUES ($1, $2, $3, 'Amlodipine', ARRAY['09:00'], '2025-01-01T00:00:00Z')`, [`${patient}_a`, patient, org]);
  const { engine: e, metrics } = await engine();
  // Earlier than every other test's instants, so no other test's reminders are due with these.
  const t0 = at('2025-08-01T08:55Z');
  assert.equal((await e.planPatient(patient, t0)).added, 2, 'one medication, two days');
  await e.index(t0);
  // The actions service commits the opt-out; the planner has not consumed its patient_updated yet.
  await pool.query(`UPDATE patients SET status = 'opted_out' WHERE id = $1`, [patient]);
  assert.equal(await e.dispatch(at('2025-08-01T09:00Z')), 0, 'nothing goes out after STOP');
  assert.equal(await count(metrics.suppressed, ['reason', 'not_active']), 1, 'counted as held back: not active');
  const { rows } = await pool.query<{ state: string }>('SELECT state FROM reminders.occurrences WHERE deployment = $1 AND patient_id = $2 ORDER BY due_at', [cfg.kafka.topicPrefix, patient]);
  assert.deepEqual(rows.map((r) => r.state), ['cancelled', 'pending'], 'the due one is cancelled; the planner removes the rest');
  assert.deepEqual(await signalsOf(patient), []);
});

test('two schedulers dispatching the same shards at once send each of 2,000 reminders exactly once', async () => {
  const org = uniqueId('org_');
  const due = at('2026-08-01T09:00Z');
  const n = 2000;
  // The earlier tests' future reminders are not this test's: out of the way, so the counts are exact.
  await pool.query(`UPDATE reminders.occurrences SET state = 'cancelled' WHERE deployment = $1 AND state IN ('pending', 'indexed')`, [cfg.kafka.topicPrefix]);
  await pool.query(
    `INSERT INTO reminders.occurrences (deployment, id, organization_id, patient_id, kind, plan_item_id, medication_id, due_at, shard)
     SELECT $1, 'dose_due:' || $2 || '_rx' || i || ':x', $2, $2 || '_p' || (i % 97), 'dose_due', $2 || '_rx' || i, $2 || '_rx' || i, to_timestamp($3 / 1000.0), i % $4
       FROM generate_series(1, $5) AS i`, [cfg.kafka.topicPrefix, org, due, cfg.reminders.shards, n]);
  // Two shards at a time each: with all four at once, the first scheduler's round would claim every shard before the other's.
  const [a, b] = [await engine(undefined, 2), await engine(undefined, 2)];
  await Promise.all([a.engine.index(due - 60_000), b.engine.index(due - 60_000)]);
  const [sentA, sentB] = await Promise.all([a.engine.dispatch(due, 0), b.engine.dispatch(due, 2)]);
  assert.equal(sentA + sentB, n, `all sent (${sentA} + ${sentB})`);
  assert.ok(sentA > 0 && sentB > 0, `both took a share (${sentA} + ${sentB})`);
  const { rows: [c] } = await pool.query<{ dispatched: string; once: string }>(
    `SELECT count(*) FILTER (WHERE state = 'dispatched') AS dispatched, count(*) FILTER (WHERE deliveries = 1) AS once FROM reminders.occurrences WHERE deployment = $1 AND organization_id = $2`,
    [cfg.kafka.topicPrefix, org]);
  assert.deepEqual([Number(c?.dispatched), Number(c?.once)], [n, n]);
  const catalogue = await deps.catalogue();
  const ids = (await Promise.all((await readTopicToEnd(cfg.kafka, `${cfg.kafka.topicPrefix}patient.signals`)).map((r) => catalogue.decode<PatientSignal>(r.value))))
    .filter((s) => s.organizationId === org).map((s) => s.signalId);
  assert.equal(ids.length, n, 'one signal each on Kafka');
  assert.equal(new Set(ids).size, n, 'none twice');
});
