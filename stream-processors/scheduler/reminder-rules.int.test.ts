import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { PatientAction, PatientSignal } from '../../schemas/generated/avro-types.js';
import { createTestTopics, silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { AuditLog } from '../../platform/audit/audit-log.js';
import { readTopicToEnd } from '../../platform/kafka/admin.js';
import { allTopics } from '../../platform/kafka/topics.js';
import { repoRoot } from '../../platform/paths.js';
import { adherenceByMedication, localDay, pdc } from '../../platform/reminders/adherence.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import { createMetrics } from '../../platform/service/metrics.js';
import { migratePostgres, type PgPool } from '../../platform/storage/postgres.js';
import { checkCaregivers } from '../../platform/stores/caregiver-loop.js';
import { CaregiverStore } from '../../platform/stores/caregivers.js';
import { answerReminder, ReminderAnswers } from '../../platform/stores/reminder-answers.js';
import { ReminderIndex } from '../../platform/stores/reminder-index.js';
import { OccurrenceStore } from '../../platform/stores/reminder-occurrences.js';
import { ReminderEngine, reminderOptions } from './reminder-engine.js';
import { createReminderMetrics } from './reminder-metrics.js';
import { deliveryRulesHook } from './reminder-rules.js';

const cfg = testConfig({ 'reminders.enabled': 'true', 'reminders.shards': '4', 'reminders.planHorizon': '1d', 'reminders.spreadWindow': '2m' });
const deps = new Dependencies(cfg, silentLogger);
const cleanups: Array<() => Promise<void>> = [];
let pool: PgPool;
const H = 3_600_000;
const MIN = 60_000;
const at = (iso: string): number => Date.parse(iso);
const NY = 'America/New_York';

before(async () => {
  cleanups.push(await createTestTopics(cfg, allTopics().filter((t) => t.name === 'patient.signals' || t.name === 'patient.actions')));
  pool = await deps.postgres();
  await migratePostgres(pool, join(repoRoot(), 'platform/storage/migrations/postgres'));
});
after(async () => {
  for (const t of ['reminders.occurrences', 'reminders.plans', 'reminders.answers', 'reminders.caregiver_contacts']) await pool.query(`DELETE FROM ${t} WHERE deployment = $1`, [cfg.kafka.topicPrefix]);
  await new ReminderIndex(await deps.redis(), cfg.kafka.topicPrefix, cfg.redis.keyPrefix).clear(cfg.reminders.shards);
  for (const c of cleanups.reverse()) await c();
  await deps.close();
});

async function engine(): Promise<ReminderEngine> {
  const answers = new ReminderAnswers(pool, cfg.kafka.topicPrefix);
  const rules = deliveryRulesHook(answers, { doseWindowMs: cfg.reminders.doseWindow, spreadMs: cfg.reminders.spreadWindow });
  return new ReminderEngine({
    pool, occurrences: new OccurrenceStore(pool, cfg.kafka.topicPrefix), index: new ReminderIndex(await deps.redis(), cfg.kafka.topicPrefix, cfg.redis.keyPrefix),
    publisher: await deps.publisher(), metrics: createReminderMetrics(createMetrics(false).registry), newTraceId: randomUUID, rules,
  }, reminderOptions(cfg.reminders));
}

/** A New York organisation with quiet hours 22:00–07:00 and a cap of 3 a day; one patient with `meds` (id suffix → HH:MM times). */
async function seed(meds: Record<string, string[]>, cap = 3): Promise<{ org: string; patient: string; med: (s: string) => string }> {
  const org = uniqueId('org_');
  const patient = `${org}_p`;
  await pool.query(`INSERT INTO organizations (id, slug, display_name, timezone, reminder_routine, reminder_daily_cap) VALUES ($1, $1, 'Rules Clinic', $2, $3, $4)`,
    [org, NY, JSON.stringify({ quietHours: { start: '22:00', end: '07:00' } }), cap]);
  await pool.query(`INSERT INTO patients (id, organization_id) VALUES ($1, $2)`, [patient, org]);
  for (const [suffix, times] of Object.entries(meds)) {
    await pool.query(`INSERT INTO patient_medications (id, patient_id, organization_id, name, dose, schedule_times, source, created_at) VALUES ($1, $2, $3, $4, '', $5, 'api', '2026-01-01T00:00Z')`,
      [`${patient}_${suffix}`, patient, org, `Med ${suffix}`, times]);
  }
  return { org, patient, med: (s) => `${patient}_${s}` };
}

async function walk(e: ReminderEngine, from: number, to: number): Promise<void> {
  for (let now = from; now <= to; now += 5 * MIN) {
    await e.index(now);
    await e.dispatch(now);
  }
}

async function signalsOf(patient: string): Promise<PatientSignal[]> {
  const catalogue = await deps.catalogue();
  const records = await readTopicToEnd(cfg.kafka, `${cfg.kafka.topicPrefix}patient.signals`);
  return (await Promise.all(records.map((r) => catalogue.decode<PatientSignal>(r.value)))).filter((s) => s.patientId === patient).sort((a, b) => a.occurredAt - b.occurredAt);
}

const local = (ms: number): string => new Date(ms - 5 * H).toISOString().slice(11, 16); // EST, January

test('quiet hours (the patient\'s own over the organisation\'s), doses of one time in one message, the daily cap, spreading and STOP hold on the real stack', async () => {
  const { org, patient, med } = await seed({ a: ['06:00', '21:00'], b: ['07:00'], c: ['12:00', '18:00'] });
  const e = await engine();
  const day = at('2026-01-10T05:00Z'); // 00:00 EST
  await e.planPatient(patient, day);
  const due = async (): Promise<Array<[string, string]>> => (await pool.query<{ medication_id: string; due_at: Date }>(
    `SELECT medication_id, due_at FROM reminders.occurrences WHERE deployment = $1 AND patient_id = $2 AND state <> 'cancelled' ORDER BY due_at`, [cfg.kafka.topicPrefix, patient])).rows
    .map((r) => [local(r.due_at.getTime()), r.medication_id]);
  // 06:00 waits for 07:00 and joins 07:00's dose: one message; 21:00 is the fourth of the day: capped.
  const planned = await due();
  assert.deepEqual(planned.map(([t, m]) => [t.slice(0, 4), m]), [['07:0', `${med('a')},${med('b')}`], ['12:0', med('c')], ['18:0', med('c')]]);
  assert.ok(planned.every(([t]) => Number(t.slice(3)) < 2), `spread within 2 minutes of the due minute: ${planned.map(([t]) => t).join(' ')}`);

  // The patient asks for 22:00–09:00: re-planned, the morning message moves to 09:00.
  await new ReminderAnswers(pool, cfg.kafka.topicPrefix).setQuietHours(patient, org, { start: '22:00', end: '09:00' }, 'chat');
  await e.planPatient(patient, day);
  assert.deepEqual((await due()).map(([t, m]) => [t.slice(0, 4), m]), [['09:0', `${med('a')},${med('b')}`], ['12:0', med('c')], ['18:0', med('c')]]);

  await walk(e, day, day + 13 * H); // to 13:00 EST
  const sent = await signalsOf(patient);
  assert.deepEqual(sent.map((s) => s.attributes['medication_id']), [`${med('a')},${med('b')}`, med('c')], 'one grouped message, then noon');
  assert.ok(sent.every((s) => !JSON.stringify(s).includes('Med ')), 'no medication name on Kafka');

  // STOP (the patient's status, as the actions processor records it): nothing more is sent.
  await pool.query(`UPDATE patients SET status = 'opted_out' WHERE id = $1`, [patient]);
  await e.planPatient(patient, day + 13 * H);
  await walk(e, day + 13 * H, day + 24 * H);
  assert.equal((await signalsOf(patient)).length, 2, 'the 18:00 reminder was silenced by STOP');
  await pool.query(`UPDATE patients SET status = 'active' WHERE id = $1`, [patient]);
  await e.planPatient(patient, day + 24 * H);
  assert.ok((await due()).some(([t]) => t.startsWith('09:0')), 'START: the next morning is planned again');
});

test('taken, taken late, skip and snooze from the chat close their occurrences; adherence per medication and PDC follow; after 3 misses the consenting caregiver is told once, audited, and an opted-out one is not', async () => {
  const { org, patient, med } = await seed({ m: ['08:00', '20:00'] }, 0);
  const e = await engine();
  const start = at('2026-01-10T05:00Z');
  const answers = new ReminderAnswers(pool, cfg.kafka.topicPrefix);
  const say = async (type: string, attributes: Record<string, string>, when: number): Promise<void> => {
    const action: PatientAction = { actionId: randomUUID(), traceId: randomUUID(), organizationId: org, patientId: patient, type, occurredAt: when, causedBy: null, workflowId: null, workflowVersion: null, attributes, payload: null };
    await answerReminder(answers, action);
  };
  const doses: number[] = [];
  for (let d = 0; d < 3; d++) {
    await e.planPatient(patient, start + d * 24 * H);
    await walk(e, start + d * 24 * H, start + (d + 1) * 24 * H - 5 * MIN);
  }
  const { rows } = await pool.query<{ due_at: Date }>(`SELECT due_at FROM reminders.occurrences WHERE deployment = $1 AND patient_id = $2 AND state = 'dispatched' ORDER BY due_at`, [cfg.kafka.topicPrefix, patient]);
  doses.push(...rows.map((r) => r.due_at.getTime()));
  assert.equal(doses.length, 6, 'three days, twice a day');
  const [d0, d1, d2] = doses as [number, number, number];
  await say('record_adherence', { taken: 'true', medication_id: med('m') }, d0 + 10 * MIN); // "yes"
  await say('set_reminder', { reason: 'snooze', at: new Date(d1 + 40 * MIN).toISOString() }, d1 + 8 * MIN); // "in 30 minutes"
  const snoozed = await pool.query<{ kind: string; snoozed_until: Date }>(`SELECT kind, snoozed_until FROM reminders.answers WHERE deployment = $1 AND patient_id = $2 ORDER BY answered_at DESC LIMIT 1`, [cfg.kafka.topicPrefix, patient]);
  assert.deepEqual(snoozed.rows.map((r) => [r.kind, r.snoozed_until.getTime()]), [['snoozed', d1 + 40 * MIN]], 'the snooze is on the second dose');
  await say('record_adherence', { taken: 'false' }, d1 + 41 * MIN); // "no, I forgot"…
  await say('record_adherence', { taken: 'true' }, d1 + 3 * H); // …and later "yes, now I took it": a late answer still counts
  await say('record_adherence', { taken: 'false' }, d2 + 20 * MIN); // skip
  // Doses 4–6 get no answer: unknown once closed (24 h), and with dose 3 skipped, four misses in a row.
  const now = doses[5]! + 25 * H;
  const records = await answers.doseRecords(patient, start, now);
  assert.deepEqual(records.map((r) => r.outcome), ['taken', 'taken_late', 'skipped', 'unknown', 'unknown', 'unknown']);
  const [m] = adherenceByMedication(records, now, NY);
  assert.equal(m?.medicationId, med('m'));
  assert.equal(m?.windows[7].rate, 2 / 6);
  assert.deepEqual(m?.streaks, { current: 0, longest: 1 });

  // PDC from two 30-day dispenses, the second 10 days early (shifted), over a 90-day period.
  const rx = med('m');
  for (const [id, when] of [['d1', '2026-01-01T15:00Z'], ['d2', '2026-01-21T15:00Z']] as const) {
    await pool.query(`INSERT INTO care.medication_dispenses (organization_id, id, patient_id, request_id, status, days_supply, when_handed_over) VALUES ($1, $2, $3, $4, 'completed', 30, $5)`, [org, `${patient}_${id}`, patient, rx, when]);
  }
  const first = localDay(at('2026-01-01T12:00Z'), NY);
  assert.deepEqual(pdc(await answers.fills(org, patient, rx, NY), first, first + 89), { treatmentDays: 90, coveredDays: 60, pdc: 60 / 90, eligible: true });

  // The caregiver loop: Ann consented (no medication names), Bob opted out.
  const audit = new AuditLog(pool);
  const caregivers = new CaregiverStore(pool, cfg.kafka.topicPrefix, audit);
  await caregivers.upsert({ organizationId: org, id: `${patient}_ann`, patientId: patient, channel: 'sms', contactRef: 'vault:cg1', consented: true, scope: 'missed_doses' });
  await caregivers.upsert({ organizationId: org, id: `${patient}_bob`, patientId: patient, channel: 'sms', contactRef: 'vault:cg2', consented: true, scope: 'missed_doses_with_medication' });
  await caregivers.setOptedOut(org, `${patient}_bob`, true);
  const loop = { answers, caregivers, publisher: await deps.publisher(), newTraceId: randomUUID };
  assert.deepEqual(await checkCaregivers(loop, org, patient, 5, now), [], 'four misses, threshold 5: nobody');
  assert.deepEqual(await checkCaregivers(loop, org, patient, 3, now), [`${patient}_ann`]);
  assert.deepEqual(await checkCaregivers(loop, org, patient, 3, now + H), [], 'the same run is reported once');

  const catalogue = await deps.catalogue();
  const acts = (await Promise.all((await readTopicToEnd(cfg.kafka, `${cfg.kafka.topicPrefix}patient.actions`)).map((r) => catalogue.decode<PatientAction>(r.value))))
    .filter((a) => a.patientId === patient && a.type === 'notify_caregiver');
  assert.equal(acts.length, 1);
  assert.deepEqual({ ...acts[0]?.attributes }, { caregiver_id: `${patient}_ann`, channel: 'sms', template_id: 'caregiver_missed_doses', missed: '4', medication_ids: '' });
  const audited = await pool.query<{ action: string; fields: string[]; actor_id: string }>(`SELECT action, fields, actor_id FROM audit.events WHERE organization_id = $1 AND patient_id = $2`, [org, patient]);
  assert.deepEqual(audited.rows, [{ action: 'reminders.caregiver.contact', fields: ['missedDoses'], actor_id: 'scheduler' }]);
});
