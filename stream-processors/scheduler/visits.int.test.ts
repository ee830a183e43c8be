import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { PatientSignal } from '../../schemas/generated/avro-types.js';
import { createTestTopics, silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { readTopicToEnd } from '../../platform/kafka/admin.js';
import { allTopics } from '../../platform/kafka/topics.js';
import { repoRoot } from '../../platform/paths.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import { createMetrics } from '../../platform/service/metrics.js';
import { migratePostgres, type PgPool } from '../../platform/storage/postgres.js';
import { ReminderIndex } from '../../platform/stores/reminder-index.js';
import { OccurrenceStore } from '../../platform/stores/reminder-occurrences.js';
import { ReminderEngine, reminderOptions } from './reminder-engine.js';
import { createReminderMetrics } from './reminder-metrics.js';

const cfg = testConfig({ 'reminders.enabled': 'true', 'reminders.shards': '4', 'reminders.planHorizon': '2d' });
const deps = new Dependencies(cfg, silentLogger);
const cleanups: Array<() => Promise<void>> = [];
let pool: PgPool;
let org = '';
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
  await pool.query('DELETE FROM booking.bookings WHERE organization_id = $1', [org]);
  await pool.query('DELETE FROM care.appointments WHERE organization_id = $1', [org]);
  await pool.query('DELETE FROM care.medication_dispenses WHERE organization_id = $1', [org]);
  await new ReminderIndex(await deps.redis(), cfg.kafka.topicPrefix, cfg.redis.keyPrefix).clear(cfg.reminders.shards);
  for (const c of cleanups.reverse()) await c();
  await deps.close();
});

test('a booked appointment gets its 24 h and 2 h reminders from the engine, a reschedule re-plans them, a dispense ready at the pharmacy becomes a pickup reminder until handed over', async () => {
  org = uniqueId('org_');
  const patient = `${org}_p`;
  const rx = `${patient}_rx1`;
  await pool.query(`INSERT INTO organizations (id, slug, display_name, timezone) VALUES ($1, $1, 'Visit Clinic', 'Europe/Madrid')`, [org]);
  await pool.query(`INSERT INTO patients (id, organization_id) VALUES ($1, $2)`, [patient, org]);
  const book = (id: string, startsAt: string): Promise<unknown> => pool.query(
    `INSERT INTO booking.bookings (organization_id, id, patient_id, slot_id, starts_at, ends_at, status, caused_by)
     VALUES ($1, $2, $3, $4, $5::timestamptz, $5::timestamptz + interval '30 minutes', 'booked', $6)`, [org, id, patient, `${id}_slot`, startsAt, `act_${id}`]);
  await book('bk_1', '2026-03-10T09:30:00Z');
  // The same visit as the hospital exports it: reminded once, not twice.
  await pool.query(`INSERT INTO care.appointments (organization_id, id, patient_id, status, starts_at) VALUES ($1, 'ehr-1', $2, 'booked', '2026-03-10T09:30:00Z')`, [org, patient]);
  await pool.query(`INSERT INTO care.medication_dispenses (organization_id, id, patient_id, request_id, status, when_prepared) VALUES ($1, 'disp1', $2, $3, 'preparation', '2026-03-08T15:00:00Z')`, [org, patient, rx]);

  const metrics = createReminderMetrics(createMetrics(false).registry);
  const e = new ReminderEngine({
    pool, occurrences: new OccurrenceStore(pool, cfg.kafka.topicPrefix), index: new ReminderIndex(await deps.redis(), cfg.kafka.topicPrefix, cfg.redis.keyPrefix),
    publisher: await deps.publisher(), metrics, newTraceId: randomUUID,
  }, reminderOptions(cfg.reminders));
  const start = at('2026-03-08T12:00Z');
  const first = await e.planPatient(patient, start);
  assert.equal(first.added, 3, 'two reminders before the visit and the pickup inside the two-day horizon');

  let rescheduled = false;
  for (let now = start; now <= start + 48 * HOUR; now += 10 * 60_000) {
    if (!rescheduled && now >= start + HOUR) {
      // Moved in chat: the old booking is cancelled, the new one booked; the signal re-plans at once.
      await pool.query(`UPDATE booking.bookings SET status = 'cancelled' WHERE organization_id = $1 AND id = 'bk_1'`, [org]);
      await pool.query(`DELETE FROM care.appointments WHERE organization_id = $1`, [org]);
      await book('bk_2', '2026-03-10T11:00:00Z');
      assert.equal(await e.onSignal({ type: 'appointment_booked', patientId: patient }, now), true);
      rescheduled = true;
    }
    await e.index(now);
    await e.dispatch(now);
  }
  const { rows } = await pool.query<{ kind: string; due_at: Date; state: string; deliveries: number }>(
    'SELECT kind, due_at, state, deliveries FROM reminders.occurrences WHERE deployment = $1 AND patient_id = $2 ORDER BY due_at, id', [cfg.kafka.topicPrefix, patient]);
  assert.deepEqual(rows.map((r) => [r.kind, r.due_at.toISOString(), r.state, r.deliveries]), [
    ['pickup_due', '2026-03-08T15:00:00.000Z', 'dispatched', 1],
    ['appointment_due', '2026-03-09T09:30:00.000Z', 'cancelled', 0], // bk_1, 24 h before
    ['appointment_due', '2026-03-09T11:00:00.000Z', 'dispatched', 1], // bk_2, 24 h before (12:00 local, outside quiet hours)
    ['appointment_due', '2026-03-10T07:30:00.000Z', 'cancelled', 0], // bk_1, 2 h before
    ['appointment_due', '2026-03-10T09:00:00.000Z', 'dispatched', 1], // bk_2, 2 h before
  ]);

  const catalogue = await deps.catalogue();
  const records = await readTopicToEnd(cfg.kafka, `${cfg.kafka.topicPrefix}patient.signals`);
  const signals = (await Promise.all(records.map((r) => catalogue.decode<PatientSignal>(r.value)))).filter((s) => s.patientId === patient);
  assert.deepEqual(signals.map((s) => [s.type, s.attributes['appointment_id'] ?? s.attributes['medication_id'], s.attributes['starts_at'] ?? '', s.attributes['lead_minutes'] ?? '']), [
    ['pickup_due', rx, '', ''],
    ['appointment_due', 'bk_2', '2026-03-10T11:00:00.000Z', '1440'],
    ['appointment_due', 'bk_2', '2026-03-10T11:00:00.000Z', '120'],
  ]);

  // Handed over: the next pickup reminder (two days after it was ready) is no longer planned.
  const later = start + 48 * HOUR;
  const before2 = await e.planPatient(patient, later);
  assert.equal(before2.added, 1, 'still waiting: the second pickup reminder is planned');
  await pool.query(`UPDATE care.medication_dispenses SET status = 'completed', when_handed_over = '2026-03-10T12:30:00Z' WHERE organization_id = $1`, [org]);
  assert.equal(await e.onSignal({ type: 'dispense_changed', patientId: patient }, later + 60_000), true);
  const pending = await pool.query(`SELECT count(*)::int AS n FROM reminders.occurrences WHERE deployment = $1 AND patient_id = $2 AND kind = 'pickup_due' AND state IN ('pending', 'indexed')`, [cfg.kafka.topicPrefix, patient]);
  assert.equal(pending.rows[0]?.n, 0, 'collected: no pickup reminder left');
});
