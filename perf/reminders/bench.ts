/*
 * Reminder engine benchmark on the real stack (PostgreSQL, Redis, Kafka), a throw-away deployment prefix:
 *   burst  N reminders due in the same minute, indexed ahead as the index loop does, then dispatched by
 *          `engines` engines at once in this process (each drains `concurrency` shards at a time, claims atomic per shard);
 *          reports the time to dispatch all, lateness p50/p99/max (dispatched − due, from PostgreSQL)
 *          and the records on Kafka.
 *   steady a constant rate of reminders for S seconds, dispatched on the scheduler's poll interval
 *          (500 ms); lateness p50/p99/max.
 *   storage PostgreSQL bytes per scheduled patient (2 doses a day over the 2-day plan horizon, with its
 *          plans row) and Redis bytes per indexed reminder, extrapolated to 8,000,000 patients.
 *   node dist/perf/reminders/bench.js burst [count=1000000] [engines=1] [batch=2000] [shards=12] [concurrency=4]
 *   node dist/perf/reminders/bench.js steady [rate=50] [seconds=120]
 *   node dist/perf/reminders/bench.js storage [patients=50000]
 * Each run appends its result line to perf/results/reminders.jsonl.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { loadConfig } from '../../platform/config/config.js';
import { adminClient, applyTopics } from '../../platform/kafka/admin.js';
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
import { cpuPerItem, cpuSampler } from './cpu.js';
import { handleHelp } from '../usage.js';

handleHelp(`Usage: node dist/perf/reminders/bench.js burst [count] [engines] [batch] [shards] [concurrency]
       node dist/perf/reminders/bench.js steady [rate] [seconds]
       node dist/perf/reminders/bench.js storage [patients]

Reminder engine benchmark on the real stack under a throw-away deployment prefix perfrem<id>.
(its rows, Redis index and topic deleted at the end). The mode defaults to burst.
  burst    count reminders due at one instant (default 1000000), indexed ahead, then dispatched by
           engines engines in this process (1), batch per claim (2000), shards (12), shards drained
           at once per engine (4); time, rate, lateness p50/p99/max, records on Kafka
  steady   rate reminders a second (50) for seconds (120) on the scheduler's loops; lateness
  storage  patients (50000) with 2 doses a day over the 2-day horizon: PostgreSQL bytes per
           patient, Redis bytes per indexed reminder
burst and steady also give CPU ms per reminder of this process, PostgreSQL, Redis and the broker.

Needs the local stack: PostgreSQL, Redis, Kafka, the schema registry (bin/careloop stack up);
CARELOOP_KAFKA_DRIVER=rdkafka in front uses librdkafka. On a shared machine run it under the lock:
flock /work/bench.lock node dist/perf/reminders/bench.js …
Appends one JSON line to perf/results/reminders.jsonl (also printed).
Exit status 0 when done; 1 on an error; 2 for an unknown mode or a --flag (it takes none).`, { flags: [] });
const MODES = ['burst', 'steady', 'storage'];
if (process.argv[2] !== undefined && !MODES.includes(process.argv[2])) {
  console.error(`reminders/bench: unknown mode ${process.argv[2]}: burst, steady or storage\nRun with --help for the usage.`);
  process.exit(2);
}

const [mode = 'burst', ...rest] = process.argv.slice(2);
const num = (i: number, d: number): number => (rest[i] === undefined ? d : Number(rest[i]));
const shards = mode === 'burst' ? num(3, 12) : 12;
const batch = mode === 'burst' ? num(2, 2000) : 1000;
const concurrency = mode === 'burst' ? num(4, 4) : 4;
const prefix = `perfrem${randomUUID().slice(0, 8)}.`;
const cfg = loadConfig({ env: process.env, overrides: { 'kafka.topicPrefix': prefix, 'log.level': 'warn', 'reminders.shards': String(shards), 'reminders.batchSize': String(batch), 'reminders.dispatchConcurrency': String(concurrency) } });
const deps = new Dependencies(cfg, createLogger({ level: 'warn' }));
const pool = await deps.postgres();
await migratePostgres(pool, join(repoRoot(), 'platform/storage/migrations/postgres'));
const topic = `${prefix}patient.signals`;
await applyTopics({ brokers: cfg.kafka.brokers, ssl: cfg.kafka.ssl, prefix, partitionScale: 1, replicationFactor: 1, topics: allTopics().filter((t) => t.name === 'patient.signals') });
const redis = await deps.redis();
const index = new ReminderIndex(redis, prefix, cfg.redis.keyPrefix);
const newEngine = async (): Promise<ReminderEngine> => new ReminderEngine({
  pool, occurrences: new OccurrenceStore(pool, prefix), index, publisher: await deps.publisher(),
  metrics: createReminderMetrics(createMetrics(false).registry), newTraceId: randomUUID,
}, reminderOptions(cfg.reminders));
const load1 = (): number => Math.round((loadavg()[0] ?? 0) * 100) / 100;
const machine = { cpus: cpus().length, load1: load1(), note: 'shared 2-core machine, other engineers running tests' };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Stores n occurrences, the i-th due at dueOf(i) (ms, computed in SQL as base + i * step). */
async function store(n: number, base: number, stepMs: number): Promise<void> {
  for (let from = 1; from <= n; from += 200_000) {
    await pool.query(
      `INSERT INTO reminders.occurrences (deployment, id, organization_id, patient_id, kind, plan_item_id, medication_id, due_at, shard)
       SELECT $1, 'dose_due:rx' || i || ':x', 'org_perf', 'pt_perf' || (i / 4), 'dose_due', 'rx' || i, 'rx' || i, to_timestamp(($2::float8 + i * $3::float8) / 1000.0), i % $4
         FROM generate_series($5::int, $6::int) AS i`, [prefix, base, stepMs, shards, from, Math.min(n, from + 199_999)]);
  }
}

async function lateness(): Promise<{ p50: number; p99: number; max: number; dispatched: number }> {
  const { rows: [l] } = await pool.query<{ p50: number; p99: number; max: number; n: string }>(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, max(ms)::float8 AS max, count(*) AS n
       FROM (SELECT extract(epoch FROM dispatched_at - due_at) * 1000 AS ms FROM reminders.occurrences WHERE deployment = $1 AND state = 'dispatched') x`, [prefix]);
  return { p50: Math.round(l?.p50 ?? 0), p99: Math.round(l?.p99 ?? 0), max: Math.round(l?.max ?? 0), dispatched: Number(l?.n) };
}

async function kafkaRecords(): Promise<number> {
  const admin = adminClient(cfg.kafka, 'perf-count').admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0);
  } finally {
    await admin.disconnect();
  }
}

function report(result: Record<string, unknown>): void {
  const line = JSON.stringify({ at: new Date().toISOString(), mode, ...result, machine: { ...machine, load1End: load1() } });
  console.log(line);
  mkdirSync(join(repoRoot(), 'perf/results'), { recursive: true });
  appendFileSync(join(repoRoot(), 'perf/results/reminders.jsonl'), `${line}\n`);
}

async function burst(): Promise<void> {
  const count = num(0, 1_000_000);
  const engines = num(1, 1);
  const t0 = Date.now();
  const due = t0 + 3_600_000; // the due instant on the engine's clock: mapped to a real instant once indexed
  await store(count, due, 0);
  const storeMs = Date.now() - t0;
  const e = await Promise.all(Array.from({ length: engines }, () => newEngine()));
  // Indexed ahead, as the index loop does within reminders.indexHorizon (10 min) before they fall due.
  const cpu = await cpuSampler(pool, redis, Math.min(cfg.postgres.poolMax, engines + 1));
  const i0 = Date.now();
  const c0 = cpu();
  const indexed = await e[0]?.index(due) ?? 0;
  const indexMs = Date.now() - i0;
  const c1 = cpu();
  // The engine's clock (it takes `now`, as in the tests): the due instant is 2 s from here in real time.
  const realDue = Date.now() + 2_000;
  const clock = (): number => due + (Date.now() - realDue);
  await sleep(realDue - Date.now());
  let sent = 0;
  await Promise.all(e.map(async (engine, k) => {
    while (sent < count) {
      const n = await engine.dispatch(clock(), Math.floor((k * shards) / engines), clock);
      sent += n;
      if (n === 0) await sleep(20);
    }
  }));
  const dispatchMs = Date.now() - realDue;
  const c2 = cpu();
  report({
    count, engines, shards, batch, concurrency, driver: cfg.kafka.driver, storeMs, indexed, indexMs, dispatchMs, perSecond: Math.round(count / (dispatchMs / 1000)), latenessMs: await lateness(), kafkaRecords: await kafkaRecords(),
    cpuMsPerReminder: { index: cpuPerItem(c0, c1, indexed), dispatch: cpuPerItem(c1, c2, count) },
  });
}

async function steady(): Promise<void> {
  const rate = num(0, 50);
  const seconds = num(1, 120);
  const count = rate * seconds;
  const base = Date.now() + 8_000;
  await store(count, base, 1000 / rate);
  const engine = await newEngine();
  const cpu = await cpuSampler(pool, redis, 2);
  const c0 = cpu();
  const stopAt = base + seconds * 1000 + 3_000;
  let lastIndex = 0;
  while (Date.now() < stopAt) {
    const now = Date.now();
    if (now - lastIndex >= 5_000) { await engine.index(now); lastIndex = now; }
    await engine.dispatch(now, 0, Date.now);
    await sleep(500 - (Date.now() - now)); // the scheduler's reminders.pollInterval
  }
  const c1 = cpu();
  report({ rate, seconds, count, pollMs: 500, driver: cfg.kafka.driver, latenessMs: await lateness(), kafkaRecords: await kafkaRecords(), cpuMsPerReminder: cpuPerItem(c0, c1, count) });
}

async function storage(): Promise<void> {
  const patients = num(0, 50_000);
  const size = async (): Promise<number> => {
    const { rows: [s] } = await pool.query<{ b: string }>(`SELECT pg_total_relation_size('reminders.occurrences') + pg_total_relation_size('reminders.plans') AS b`);
    return Number(s?.b);
  };
  await pool.query('VACUUM reminders.occurrences');
  const before = await size();
  // 2 doses a day over the 2-day horizon: 4 occurrences and one plans row per patient, ids as planning writes them.
  const now = Date.now();
  await pool.query(
    `INSERT INTO reminders.occurrences (deployment, id, organization_id, patient_id, kind, plan_item_id, medication_id, due_at, shard)
     SELECT $1, 'dose_due:med_' || md5(p::text) || ':' || to_char(to_timestamp($2 / 1000.0 + k * 43200) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            'org_perf_storage', 'pt_' || md5(p::text), 'dose_due', 'med_' || md5(p::text), 'med_' || md5(p::text), to_timestamp($2 / 1000.0 + k * 43200), p % 12
       FROM generate_series(1, $3) AS p, generate_series(0, 3) AS k`, [prefix, now, patients]);
  await pool.query(
    `INSERT INTO reminders.plans (deployment, patient_id, organization_id, planned_until, updated_at)
     SELECT $1, 'pt_' || md5(p::text), 'org_perf_storage', now() + interval '2 days', now() FROM generate_series(1, $2) AS p`, [prefix, patients]);
  await pool.query('ANALYZE reminders.occurrences');
  const pgPerPatient = (await size() - before) / patients;
  // Redis holds only what falls due within the index horizon (10 min): bytes per indexed entry.
  const e = await newEngine();
  await e.index(now + 2 * 86_400_000);
  let redisBytes = 0;
  let entries = 0;
  for (let s = 0; s < shards; s++) {
    const key = index.keys(s).due;
    redisBytes += Number(await redis.sendCommand(['MEMORY', 'USAGE', key, 'SAMPLES', '0']) ?? 0);
    entries += await redis.zCard(key);
  }
  const redisPerEntry = redisBytes / Math.max(1, entries);
  // At 8,000,000 patients with 2 doses a day, the 10-minute index holds at most one dose time's patients (a burst) — bounded by 8,000,000 entries at a shared 08:00.
  report({
    patients, pgBytesPerPatient: Math.round(pgPerPatient), pgAt8M_GB: Math.round((pgPerPatient * 8_000_000) / 1e8) / 10,
    redisBytesPerIndexedReminder: Math.round(redisPerEntry), redisAt8MAllAtOnce_GB: Math.round((redisPerEntry * 8_000_000) / 1e8) / 10,
  });
}

try {
  if (mode === 'burst') await burst();
  else if (mode === 'steady') await steady();
  else if (mode === 'storage') await storage();
  else throw new Error(`unknown mode ${mode}: burst, steady or storage`);
} finally {
  await pool.query('DELETE FROM reminders.occurrences WHERE deployment = $1', [prefix]);
  await pool.query('DELETE FROM reminders.plans WHERE deployment = $1', [prefix]);
  await index.clear(shards);
  const admin = adminClient(cfg.kafka, 'perf-cleanup').admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  await deps.close();
}
