/*
 * The retention sweep: occurrences that are over (dispatched, cancelled) and due before the cut-off
 * go, with their answers, in batches; pending and indexed ones stay whatever their age, and so do
 * younger ones and other deployments' rows. A retention shorter than the chat's 30-day adherence
 * window is refused at start.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { silentLogger, testConfig } from '../../test/helpers.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import type { PgPool } from '../../platform/storage/postgres.js';
import { OccurrenceStore } from '../../platform/stores/reminder-occurrences.js';
import { pruneOccurrences } from './main.js';
import { reminderOptions } from './reminder-engine.js';

const cfg = testConfig();
const other = `${cfg.kafka.topicPrefix}other.`;
const deps = new Dependencies(cfg, silentLogger);
let pool: PgPool;
const DAY = 86_400_000;
const now = Date.UTC(2026, 11, 1, 12);

async function occurrence(deployment: string, id: string, state: string, dueAt: number): Promise<void> {
  await pool.query(
    `INSERT INTO reminders.occurrences (deployment, id, organization_id, patient_id, kind, plan_item_id, medication_id, due_at, shard, state, dispatched_at)
     VALUES ($1, $2, 'org_ret', 'pt_ret', 'dose_due', 'rx', 'rx', $3::timestamptz, 0, $4::text, CASE WHEN $4::text = 'dispatched' THEN $3::timestamptz END)`, [deployment, id, new Date(dueAt), state]);
}

before(async () => { pool = await deps.postgres(); });
after(async () => {
  for (const d of [cfg.kafka.topicPrefix, other]) {
    await pool.query('DELETE FROM reminders.answers WHERE deployment = $1', [d]);
    await pool.query('DELETE FROM reminders.occurrences WHERE deployment = $1', [d]);
  }
  await deps.close();
});

test('old dispatched and cancelled occurrences go with their answers; pending, young and other deployments stay', async () => {
  const d = cfg.kafka.topicPrefix;
  for (let i = 0; i < 7; i++) await occurrence(d, `old-sent-${i}`, 'dispatched', now - (100 + i) * DAY);
  await occurrence(d, 'old-cancelled', 'cancelled', now - 120 * DAY);
  await occurrence(d, 'old-pending', 'pending', now - 200 * DAY);
  await occurrence(d, 'old-indexed', 'indexed', now - 200 * DAY);
  await occurrence(d, 'young-sent', 'dispatched', now - 10 * DAY);
  await occurrence(other, 'old-sent-0', 'dispatched', now - 150 * DAY);
  await pool.query(`INSERT INTO reminders.answers (deployment, occurrence_id, organization_id, patient_id, kind, answered_at, action_id) VALUES ($1, 'old-sent-0', 'org_ret', 'pt_ret', 'taken', $2, 'a1'), ($1, 'young-sent', 'org_ret', 'pt_ret', 'taken', $3, 'a2')`,
    [d, new Date(now - 100 * DAY), new Date(now - 10 * DAY)]);

  const store = new OccurrenceStore(pool, d);
  // Batches of 3: the sweep loops until a batch comes back short.
  assert.equal(await store.pruneBefore(now - 90 * DAY, 3), 3, 'one batch deletes at most its limit, oldest first');
  let counted = 0;
  const total = await pruneOccurrences(store, now - 90 * DAY, { inc: (n) => { counted += n; } });
  assert.equal(total, 5, 'the rest of the 8 that are over and old');
  assert.equal(counted, 5);
  const left = (await pool.query<{ id: string }>('SELECT id FROM reminders.occurrences WHERE deployment = $1 ORDER BY id', [d])).rows.map((r) => r.id);
  assert.deepEqual(left, ['old-indexed', 'old-pending', 'young-sent']);
  const answers = (await pool.query<{ occurrence_id: string }>('SELECT occurrence_id FROM reminders.answers WHERE deployment = $1', [d])).rows.map((r) => r.occurrence_id);
  assert.deepEqual(answers, ['young-sent'], 'the pruned occurrence\'s answer went with it');
  const others = await pool.query('SELECT 1 FROM reminders.occurrences WHERE deployment = $1', [other]);
  assert.equal(others.rowCount, 1, 'another deployment sharing the database keeps its rows');
  assert.equal(await store.pruneBefore(now - 90 * DAY, 3), 0, 'nothing left to prune');
});

test('a retention shorter than the 30-day adherence window is refused; 0s keeps everything', () => {
  assert.throws(() => reminderOptions(testConfig({ 'reminders.retention': '10d' }).reminders), (err: Error & { code?: string }) => err.code === 'CONFIG_INVALID' && /reminders\.retention/.test(err.message));
  assert.doesNotThrow(() => reminderOptions(testConfig({ 'reminders.retention': '0s' }).reminders));
  assert.equal(testConfig().reminders.retention, 90 * DAY);
});
