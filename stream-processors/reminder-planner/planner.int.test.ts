import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { PatientSignal } from '../../schemas/generated/avro-types.js';
import { allTopics } from '../../platform/kafka/topics.js';
import { repoRoot } from '../../platform/paths.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import { createMetrics } from '../../platform/service/metrics.js';
import type { RunningService } from '../../platform/service/types.js';
import { migratePostgres, type PgPool } from '../../platform/storage/postgres.js';
import { createTestTopics, eventually, silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { reminderPlanner } from './main.js';

const cfg = testConfig({ 'reminders.enabled': 'true', 'reminders.shards': '4', 'reminders.planHorizon': '2d' });
const deps = new Dependencies(cfg, silentLogger);
const cleanups: Array<() => Promise<void>> = [];
const metrics = createMetrics(false);
let pool: PgPool;
let service: RunningService;
// The planner re-plans from its clock; a fixed day keeps the expected occurrences exact.
const NOW = Date.parse('2026-09-01T06:00:00Z');

before(async () => {
  cleanups.push(await createTestTopics(cfg, allTopics().filter((t) => t.name === 'patient.signals' || t.name === 'dlq.reminder-planner')));
  pool = await deps.postgres();
  await migratePostgres(pool, join(repoRoot(), 'platform/storage/migrations/postgres'));
  service = await reminderPlanner.start({ cfg, log: silentLogger, metrics, deps, now: () => NOW });
});
after(async () => {
  await service.stop();
  await pool.query('DELETE FROM reminders.occurrences WHERE deployment = $1', [cfg.kafka.topicPrefix]);
  await pool.query('DELETE FROM reminders.plans WHERE deployment = $1', [cfg.kafka.topicPrefix]);
  for (const c of cleanups.reverse()) await c();
  await deps.close();
});

const signal = (org: string, patientId: string, type: string, attributes: Record<string, string> = {}): PatientSignal => ({
  signalId: randomUUID(), traceId: randomUUID(), organizationId: org, patientId, type, source: 'fhir', occurredAt: NOW, attributes, payload: null,
});

async function occurrences(patient: string): Promise<Array<[string, string, string]>> {
  const { rows } = await pool.query<{ kind: string; plan_item_id: string; due_at: Date; state: string }>(
    'SELECT kind, plan_item_id, due_at, state FROM reminders.occurrences WHERE deployment = $1 AND patient_id = $2 ORDER BY due_at, plan_item_id', [cfg.kafka.topicPrefix, patient]);
  return rows.map((r) => [`${r.kind}:${r.plan_item_id.split('_').pop() ?? ''}`, r.due_at.toISOString().slice(0, 16), r.state]);
}

test('patient.signals re-plan at once: a new prescription is planned, a dispense brings its refill, a stopped one is cancelled; other signals change nothing', async () => {
  const org = uniqueId('org_');
  const patient = `${org}_p`;
  await pool.query(`INSERT INTO organizations (id, slug, display_name, timezone) VALUES ($1, $1, 'Planner Clinic', 'Europe/Madrid')`, [org]);
  await pool.query(`INSERT INTO patients (id, organization_id) VALUES ($1, $2)`, [patient, org]);
  const publisher = await deps.publisher();
  const send = async (s: PatientSignal): Promise<void> => { await publisher.publish('patient.signals', [{ key: s.patientId, value: s }]); };

  // A prescription imported (the FHIR import writes the row, then signals): 09:00 and 21:00 Madrid (CEST, UTC+2).
  await pool.query(`INSERT INTO patient_medications (id, patient_id, organization_id, name, schedule_times, created_at) VALUES ($1, $2, $3, 'Metformin', ARRAY['09:00','21:00'], '2026-08-01T00:00:00Z')`, [`${patient}_met`, patient, org]);
  await send(signal(org, patient, 'chat_opened'));
  await send(signal(org, patient, 'medication_started', { medicationRequestId: `${patient}_met` }));
  const planned = await eventually(async () => { const o = await occurrences(patient); return o.length === 4 ? o : undefined; }, 30_000, 'the new prescription planned');
  assert.deepEqual(planned, [
    ['dose_due:met', '2026-09-01T07:00', 'pending'], ['dose_due:met', '2026-09-01T19:00', 'pending'],
    ['dose_due:met', '2026-09-02T07:00', 'pending'], ['dose_due:met', '2026-09-02T19:00', 'pending'],
  ]);

  // A 4-day dispense handed over yesterday runs out on the 4th: the refill comes 3 days before, at 10:00 local, i.e. today.
  await pool.query(`INSERT INTO care.medication_dispenses (organization_id, id, patient_id, request_id, status, days_supply, when_handed_over) VALUES ($1, $2, $3, $4, 'completed', 4, '2026-08-31T10:00:00Z')`,
    [org, `${patient}_disp`, patient, `${patient}_met`]);
  await send(signal(org, patient, 'dispense_recorded', { dispenseId: `${patient}_disp` }));
  await eventually(async () => ((await occurrences(patient)).some(([k]) => k === 'refill_due:disp') ? true : undefined), 30_000, 'the refill planned');
  assert.deepEqual((await occurrences(patient)).filter(([k]) => k.startsWith('refill')), [['refill_due:disp', '2026-09-01T08:00', 'pending']]);

  // Stopped: every future reminder of it is cancelled (the refill of its dispense stays: the supply is still there).
  await pool.query('UPDATE patient_medications SET active = false WHERE id = $1', [`${patient}_met`]);
  await send(signal(org, patient, 'medication_stopped'));
  await eventually(async () => ((await occurrences(patient)).filter(([k, , s]) => k.startsWith('dose') && s === 'cancelled').length === 4 ? true : undefined), 30_000, 'the stopped prescription cancelled');

  const replans = (await metrics.registry.getSingleMetric('careloop_reminders_replanned_total')?.get())?.values ?? [];
  assert.deepEqual(Object.fromEntries(replans.map((v) => [v.labels['signal'], v.value])), { medication_started: 1, dispense_recorded: 1, medication_stopped: 1 }, 'chat_opened re-planned nothing');
});
