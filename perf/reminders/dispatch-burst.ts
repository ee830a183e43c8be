/*
 * Reminder dispatch burst: N dose reminders stored as due at the same instant, then indexed and
 * dispatched by one engine on the real stack (PostgreSQL, Redis, Kafka) as fast as it goes.
 * Prints the time to dispatch all, the rate and lateness (dispatched_at − due_at) p50/p99/max.
 *   node dist/perf/reminders/dispatch-burst.js [count=20000] [shards=12] [batch=1000]
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { loadConfig } from '../../platform/config/config.js';
import { applyTopics } from '../../platform/kafka/admin.js';
import { allTopics } from '../../platform/kafka/topics.js';
import { createLogger } from '../../platform/log.js';
import { repoRoot } from '../../platform/paths.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import { createMetrics } from '../../platform/service/metrics.js';
import { migratePostgres } from '../../platform/storage/postgres.js';
import { ReminderIndex } from '../../platform/stores/reminder-index.js';
import { OccurrenceStore } from '../../platform/stores/reminder-occurrences.js';
import { ReminderEngine, reminderOptions } from '../../stream-processors/scheduler/reminder-engine.js';
import { createReminderMetrics } from '../../stream-processors/scheduler/reminder-metrics.js';
import { handleHelp } from '../usage.js';

handleHelp(`Usage: node dist/perf/reminders/dispatch-burst.js [count] [shards] [batch]

Reminder dispatch burst: stores N dose reminders due at the same instant (5 s ahead) under a
throw-away deployment prefix perfrem<id>., indexes them into Redis, then one engine dispatches them
as fast as it can (claim, publish on patient.signals, mark dispatched, acknowledge); prints the
time, the rate and lateness (dispatched - due) p50/p99/max from PostgreSQL as one JSON line.
Deletes its rows, index and topic at the end. bench.js burst is the fuller version.

  count    reminders (default 20000)
  shards   reminder shards (default 12)
  batch    reminders per claim (default 1000)

Needs the local stack: PostgreSQL, Redis, Kafka and the schema registry (bin/careloop stack up).
Writes no file (stdout only).
Exit status 0 when done; 1 on an error; 2 for a --flag (it takes none).`, { flags: [] });

const [count = 20_000, shards = 12, batch = 1000] = process.argv.slice(2).map(Number);
const prefix = `perfrem${randomUUID().slice(0, 8)}.`;
const cfg = loadConfig({ env: process.env, overrides: { 'kafka.topicPrefix': prefix, 'log.level': 'warn', 'reminders.shards': String(shards), 'reminders.batchSize': String(batch) } });
const deps = new Dependencies(cfg, createLogger({ level: 'warn' }));
const pool = await deps.postgres();
await migratePostgres(pool, join(repoRoot(), 'platform/storage/migrations/postgres'));
await applyTopics({ brokers: cfg.kafka.brokers, ssl: cfg.kafka.ssl, prefix, partitionScale: 1, replicationFactor: 1, topics: allTopics().filter((t) => t.name === 'patient.signals') });
const index = new ReminderIndex(await deps.redis(), prefix, cfg.redis.keyPrefix);
const engine = new ReminderEngine({
  pool, occurrences: new OccurrenceStore(pool, prefix), index, publisher: await deps.publisher(),
  metrics: createReminderMetrics(createMetrics(false).registry), newTraceId: randomUUID,
}, reminderOptions(cfg.reminders));
try {
  const due = Date.now() + 5_000;
  await pool.query(
    `INSERT INTO reminders.occurrences (deployment, id, organization_id, patient_id, kind, plan_item_id, medication_id, due_at, shard)
     SELECT $1, 'dose_due:rx' || i || ':x', 'org_perf', 'pt_perf' || i, 'dose_due', 'rx' || i, 'rx' || i, to_timestamp($2 / 1000.0), i % $3
       FROM generate_series(1, $4) AS i`, [prefix, due, shards, count]);
  const indexStart = Date.now();
  const indexed = await engine.index(due);
  const indexMs = Date.now() - indexStart;
  while (Date.now() < due) await new Promise((r) => setTimeout(r, 10));
  const start = Date.now();
  let sent = 0;
  while (sent < count) sent += await engine.dispatch(Date.now(), 0, Date.now);
  const ms = Date.now() - start;
  const { rows: [l] } = await pool.query<{ p50: number; p99: number; max: number }>(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, max(ms) AS max
       FROM (SELECT extract(epoch FROM dispatched_at - due_at) * 1000 AS ms FROM reminders.occurrences WHERE deployment = $1) x`, [prefix]);
  console.log(JSON.stringify({ count, shards, batch, indexed, indexMs, dispatchMs: ms, perSecond: Math.round(count / (ms / 1000)), latenessMs: l }));
} finally {
  await pool.query('DELETE FROM reminders.occurrences WHERE deployment = $1', [prefix]);
  await index.clear(shards);
  const admin = (await import('kafkajs')).default;
  const a = new admin.Kafka({ clientId: 'perf-cleanup', brokers: [...cfg.kafka.brokers], logLevel: admin.logLevel.NOTHING }).admin();
  await a.connect();
  await a.deleteTopics({ topics: [`${prefix}patient.signals`] }).catch(() => undefined);
  await a.disconnect();
  await deps.close();
}
