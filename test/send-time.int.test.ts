/*
 * Send-time optimisation on the real stack (PostgreSQL, Redis): the profiling writer stores a
 * patient's profile, the daily job pools their hours into the segment table, and the reminder
 * engine (the same rules hook the scheduler and the reminder-planner run) moves their movable dose
 * reminders by reading the profile through the shared store.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { silentLogger, testConfig, uniqueId } from './helpers.js';
import { repoRoot } from '../platform/paths.js';
import { emptyProfile, type ProfileFeatures } from '../platform/profiles/features.js';
import { ProfileStore, profileKeyPrefix } from '../platform/profiles/store.js';
import { ProfileWriter } from '../platform/profiles/writer.js';
import { Dependencies } from '../platform/service/dependencies.js';
import { createMetrics } from '../platform/service/metrics.js';
import { migratePostgres, type PgPool } from '../platform/storage/postgres.js';
import { ReminderAnswers } from '../platform/stores/reminder-answers.js';
import { ReminderIndex } from '../platform/stores/reminder-index.js';
import { OccurrenceStore } from '../platform/stores/reminder-occurrences.js';
import { localParts } from '../platform/time/zones.js';
import { loadRiskModel } from '../profiling/main.js';
import { scoreOrganization } from '../profiling/score-job.js';
import { ReminderEngine, reminderOptions } from '../stream-processors/scheduler/reminder-engine.js';
import { createReminderMetrics } from '../stream-processors/scheduler/reminder-metrics.js';
import { deliveryRulesHook } from '../stream-processors/scheduler/reminder-rules.js';

const cfg = testConfig({ 'reminders.enabled': 'true', 'reminders.shards': '2', 'reminders.planHorizon': '3d', 'reminders.spreadWindow': '0s' });
const deps = new Dependencies(cfg, silentLogger);
const NY = 'America/New_York';
const H = 3_600_000;
const START = Date.parse('2026-01-10T05:00Z'); // 00:00 EST
let pool: PgPool;
let writer: ProfileWriter;
const patients: string[] = [];

before(async () => {
  pool = await deps.postgres();
  await migratePostgres(pool, join(repoRoot(), 'platform/storage/migrations/postgres'));
  writer = new ProfileWriter(await deps.redis(), profileKeyPrefix(cfg));
});
after(async () => {
  for (const t of ['reminders.occurrences', 'reminders.plans']) await pool.query(`DELETE FROM ${t} WHERE deployment = $1`, [cfg.kafka.topicPrefix]);
  await writer.remove(patients);
  await deps.close();
});

/** Answers 90 % of what it gets from 18:00 to 21:00 local, 10 % otherwise: an evening responder, as profiling would count it. */
function eveningResponder(): ProfileFeatures {
  const p = emptyProfile();
  for (let h = 8; h < 22; h++) {
    p.channels.SMS.prompts[h] = 20;
    p.channels.SMS.answered[h] = h >= 18 ? 18 : 2;
  }
  p.events = 280;
  p.updatedAt = START;
  return p;
}

async function organization(sendTime: unknown): Promise<string> {
  const org = uniqueId('org_');
  await pool.query(`INSERT INTO organizations (id, slug, display_name, timezone, reminder_routine, reminder_daily_cap, send_time) VALUES ($1, $1, 'Send Time Clinic', $2, $3, 0, $4)`,
    [org, NY, JSON.stringify({ quietHours: { start: '21:00', end: '08:00' } }), sendTime === null ? null : JSON.stringify(sendTime)]);
  return org;
}

async function patient(org: string, times: string[], profile: ProfileFeatures | null): Promise<string> {
  const id = `${org}_${patients.length}`;
  patients.push(id);
  await pool.query(`INSERT INTO patients (id, organization_id) VALUES ($1, $2)`, [id, org]);
  await pool.query(`INSERT INTO patient_medications (id, patient_id, organization_id, name, dose, schedule_times, source, created_at) VALUES ($1, $2, $3, 'Med', '', $4, 'api', '2026-01-01T00:00Z')`,
    [`${id}_m`, id, org, times]);
  if (profile !== null) await writer.saveMany(new Map([[id, profile]]));
  return id;
}

async function engine(): Promise<{ e: ReminderEngine; moved: () => Promise<number> }> {
  const metrics = createReminderMetrics(createMetrics(false).registry);
  const rules = deliveryRulesHook(new ReminderAnswers(pool, cfg.kafka.topicPrefix), {
    doseWindowMs: cfg.reminders.doseWindow, spreadMs: 0, profiles: new ProfileStore(await deps.redis(), profileKeyPrefix(cfg)),
    onSendTime: (outcome, n) => metrics.sendTime.inc({ outcome }, n),
  });
  const e = new ReminderEngine({
    pool, occurrences: new OccurrenceStore(pool, cfg.kafka.topicPrefix), index: new ReminderIndex(await deps.redis(), cfg.kafka.topicPrefix, cfg.redis.keyPrefix),
    publisher: await deps.publisher(), metrics, newTraceId: randomUUID, rules,
  }, reminderOptions(cfg.reminders));
  return { e, moved: async () => (await metrics.sendTime.get()).values.find((v) => v.labels.outcome === 'moved')?.value ?? 0 };
}

async function dueTimes(id: string): Promise<number[]> {
  const { rows } = await pool.query<{ due_at: Date }>(`SELECT due_at FROM reminders.occurrences WHERE deployment = $1 AND patient_id = $2 AND state <> 'cancelled' ORDER BY due_at`, [cfg.kafka.topicPrefix, id]);
  return rows.map((r) => r.due_at.getTime());
}
const hourOf = (at: number): number => localParts(at, NY).hour;

test('an evening responder\'s 17:00 dose reminders move into the evening, inside the dose window and never into quiet hours; re-planning gives the same times; an organisation with it off keeps 17:00', async (t) => {
  const on = await organization({ enabled: true, doseMinutesBefore: 60, doseMinutesAfter: 180 });
  const off = await organization(null);
  const evening = await patient(on, ['17:00'], eveningResponder());
  const ownQuiet = await patient(on, ['17:00'], eveningResponder());
  await new ReminderAnswers(pool, cfg.kafka.topicPrefix).setQuietHours(ownQuiet, on, { start: '19:00', end: '08:00' }, 'api');
  const untouched = await patient(off, ['17:00'], eveningResponder());
  const { e, moved } = await engine();
  for (const p of [evening, ownQuiet, untouched]) await e.planPatient(p, START);

  const times = await dueTimes(evening);
  t.diagnostic(`evening responder: ${times.map((x) => new Date(x).toISOString()).join(' ')}`);
  assert.equal(times.length, 3, 'three days of doses');
  for (const at of times) {
    const planned = Date.parse(new Date(at - 5 * H).toISOString().slice(0, 10) + 'T22:00Z'); // 17:00 EST that day
    assert.ok(at >= planned - H && at <= planned + 3 * H, `inside 16:00-20:00: ${hourOf(at)}:00`);
    assert.ok(hourOf(at) >= 18 && hourOf(at) < 21, `moved into the evening, before quiet hours at 21:00: ${hourOf(at)}:00`);
  }
  assert.equal(await moved(), 3 + (await dueTimes(ownQuiet)).filter((x) => hourOf(x) !== 17).length);

  const own = await dueTimes(ownQuiet);
  assert.equal(own.length, 3);
  assert.ok(own.every((x) => hourOf(x) >= 16 && hourOf(x) < 19), `the patient's own quiet hours from 19:00 hold: ${own.map(hourOf).join(',')}`);

  assert.deepEqual((await dueTimes(untouched)).map(hourOf), [17, 17, 17], 'send time off: as prescribed');

  // Replay-safe: the draw is seeded by the occurrence id, so re-planning with the same profile moves nothing.
  await e.planPatient(evening, START);
  assert.deepEqual(await dueTimes(evening), times);
});

test('the daily job pools its patients\' hours into the segment table, and a patient with no profile yet leans on them', async () => {
  const org = await organization({ enabled: true, doseMinutesBefore: 60, doseMinutesAfter: 180 });
  const members: string[] = [];
  for (let i = 0; i < 3; i++) members.push(await patient(org, ['17:00'], eveningResponder()));
  await scoreOrganization(pool, writer, loadRiskModel(), org, START);
  const table = await new ProfileStore(await deps.redis(), profileKeyPrefix(cfg)).segments(org);
  assert.equal(table?.hours?.prompts[18], 60, 'three patients\' 20 prompts at 18:00');
  assert.equal(table?.hours?.answered[18], 54);
  assert.ok(members.every((m) => !JSON.stringify(table).includes(m)), 'no patient or medication id in the table');
  const fresh = await patient(org, ['17:00'], null);
  const { e } = await engine();
  await e.planPatient(fresh, START);
  const hours = (await dueTimes(fresh)).map(hourOf);
  assert.ok(hours.every((h) => h >= 16 && h < 21), hours.join(','));
  assert.ok(hours.filter((h) => h >= 18).length >= 2, `the pooled evening evidence moves most: ${hours.join(',')}`);
});
