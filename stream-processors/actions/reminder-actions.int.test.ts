import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { PatientAction, PatientSignal } from '../../schemas/generated/avro-types.js';
import { createTestTopics, eventually, silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { readTopicToEnd } from '../../platform/kafka/admin.js';
import { allTopics } from '../../platform/kafka/topics.js';
import { repoRoot } from '../../platform/paths.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import { createMetrics } from '../../platform/service/metrics.js';
import { migratePostgres, type PgPool } from '../../platform/storage/postgres.js';
import { actions } from './main.js';

const cfg = testConfig({});
const deps = new Dependencies(cfg, silentLogger);
const cleanups: Array<() => Promise<void>> = [];
let pool: PgPool;
const H = 3_600_000;

before(async () => {
  cleanups.push(await createTestTopics(cfg, allTopics().filter((t) => ['patient.actions', 'patient.signals', 'chat.outbound'].includes(t.name))));
  pool = await deps.postgres();
  await migratePostgres(pool, join(repoRoot(), 'platform/storage/migrations/postgres'));
});
after(async () => {
  for (const t of ['reminders.occurrences', 'reminders.answers', 'reminders.caregiver_contacts']) await pool.query(`DELETE FROM ${t} WHERE deployment = $1`, [cfg.kafka.topicPrefix]);
  for (const c of cleanups.reverse()) await c();
  await deps.close();
});

test('through the actions service: "not at night" becomes the patient\'s quiet hours, and a third skipped dose tells the consenting caregiver once, audited', async () => {
  const org = uniqueId('org_');
  const patient = `${org}_p`;
  const rx = `${patient}_rx`;
  await pool.query(`INSERT INTO organizations (id, slug, display_name, timezone) VALUES ($1, $1, 'Actions Clinic', 'UTC')`, [org]);
  await pool.query(`INSERT INTO patients (id, organization_id) VALUES ($1, $2)`, [patient, org]);
  await pool.query(`INSERT INTO reminders.caregivers (organization_id, id, patient_id, channel, contact_ref, consented) VALUES ($1, $2, $3, 'sms', 'vault:x', true)`, [org, `${patient}_cg`, patient]);
  // Three doses already sent, twelve hours apart.
  const t0 = Date.parse('2026-02-01T08:00Z');
  for (let i = 0; i < 3; i++) {
    const due = new Date(t0 + i * 12 * H);
    await pool.query(`INSERT INTO reminders.occurrences (deployment, id, organization_id, patient_id, kind, plan_item_id, medication_id, due_at, shard, state, dispatched_at, deliveries)
      VALUES ($1, $2, $3, $4, 'dose_due', $5, $5, $6, 0, 'dispatched', $6, 1)`, [cfg.kafka.topicPrefix, `dose_due:${rx}:${due.toISOString()}`, org, patient, rx, due]);
  }
  const service = await actions.start({ cfg, log: silentLogger, metrics: createMetrics(false), deps, now: () => Date.now() });
  try {
    const publisher = await deps.publisher();
    const act = (type: string, attributes: Record<string, string>, at: number): { key: string; value: PatientAction } => ({ key: patient, value: {
      actionId: randomUUID(), traceId: randomUUID(), organizationId: org, patientId: patient, type, occurredAt: at, causedBy: null, workflowId: null, workflowVersion: null, attributes, payload: null,
    } });
    await publisher.publish('patient.actions', [act('set_quiet_hours', { start: '22:00', end: '07:00' }, t0)]);
    for (let i = 0; i < 3; i++) await publisher.publish('patient.actions', [act('record_adherence', { taken: 'false' }, t0 + i * 12 * H + 10 * 60_000)]);

    const settings = await eventually(async () => (await pool.query<{ quiet_hours: unknown }>('SELECT quiet_hours FROM reminders.patient_settings WHERE patient_id = $1', [patient])).rows[0], 30_000, 'quiet hours');
    assert.deepEqual(settings.quiet_hours, { start: '22:00', end: '07:00' });
    const answers = await eventually(async () => {
      const { rows } = await pool.query<{ kind: string }>('SELECT kind FROM reminders.answers WHERE deployment = $1 AND patient_id = $2', [cfg.kafka.topicPrefix, patient]);
      return rows.length === 3 ? rows : undefined;
    }, 30_000, 'three answers');
    assert.deepEqual(answers.map((r) => r.kind), ['skipped', 'skipped', 'skipped'], 'each skip closed its own occurrence');
    const contacts = await eventually(async () => {
      const { rows } = await pool.query<{ caregiver_id: string; missed: number; template_id: string }>('SELECT caregiver_id, missed, template_id FROM reminders.caregiver_contacts WHERE deployment = $1 AND patient_id = $2', [cfg.kafka.topicPrefix, patient]);
      return rows.length > 0 ? rows : undefined;
    }, 30_000, 'the caregiver contact');
    assert.deepEqual(contacts, [{ caregiver_id: `${patient}_cg`, missed: 3, template_id: 'caregiver_missed_doses' }]);
    const audited = await pool.query('SELECT 1 FROM audit.events WHERE organization_id = $1 AND patient_id = $2 AND action = $3', [org, patient, 'reminders.caregiver.contact']);
    assert.equal(audited.rowCount, 1);
  } finally {
    await service.stop();
  }
});

test('regression: STOP and START leave a patient_updated signal once the status is committed, so the reminder-planner re-plans at once', async () => {
  const org = uniqueId('org_');
  const patient = `${org}_p`;
  await pool.query(`INSERT INTO organizations (id, slug, display_name, timezone) VALUES ($1, $1, 'Actions Clinic', 'UTC')`, [org]);
  await pool.query(`INSERT INTO patients (id, organization_id) VALUES ($1, $2)`, [patient, org]);
  const service = await actions.start({ cfg, log: silentLogger, metrics: createMetrics(false), deps, now: () => Date.now() });
  try {
    const stop: PatientAction = { actionId: randomUUID(), traceId: randomUUID(), organizationId: org, patientId: patient, type: 'opt_out', occurredAt: Date.now(), causedBy: null, workflowId: null, workflowVersion: null, attributes: { channel: 'web' }, payload: null };
    const start: PatientAction = { ...stop, actionId: randomUUID(), type: 'opt_in', occurredAt: stop.occurredAt + 1000 };
    await (await deps.publisher()).publish('patient.actions', [{ key: patient, value: stop }]);
    const catalogue = await deps.catalogue();
    const signals = async (): Promise<PatientSignal[]> => (await Promise.all((await readTopicToEnd(cfg.kafka, `${cfg.kafka.topicPrefix}patient.signals`, 10_000))
      .map(async (r) => catalogue.decode<PatientSignal>(r.value)))).filter((s) => s.patientId === patient);
    const first = await eventually(async () => (await signals())[0], 30_000, 'the signal after STOP');
    assert.deepEqual({ id: first.signalId, type: first.type, change: first.attributes['change'] }, { id: `status:${stop.actionId}`, type: 'patient_updated', change: 'opt_out' });
    assert.equal((await pool.query<{ status: string }>('SELECT status FROM patients WHERE id = $1', [patient])).rows[0]?.status, 'opted_out', 'committed before the signal');
    await (await deps.publisher()).publish('patient.actions', [{ key: patient, value: start }]);
    const both = await eventually(async () => { const s = await signals(); return s.length === 2 ? s : undefined; }, 30_000, 'the signal after START');
    assert.deepEqual(both.map((s) => s.attributes['change']), ['opt_out', 'opt_in']);
    assert.equal((await pool.query<{ status: string }>('SELECT status FROM patients WHERE id = $1', [patient])).rows[0]?.status, 'active');
  } finally {
    await service.stop();
  }
});
