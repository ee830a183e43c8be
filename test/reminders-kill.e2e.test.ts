/*
 * kill -9 of the scheduler process, again and again, while 10,000 reminders fall due over two
 * minutes on the real stack: every reminder is dispatched (counted on Kafka by signal id) and none twice on
 * Kafka itself: a batch published but not yet marked when the process died is found on Kafka by the next
 * claim and only marked (stream-processors/scheduler/published-check.ts).
 * REMINDERS_KILL_COUNT / REMINDERS_KILL_SPAN_S size it down for a quick run (defaults: 10,000 over 120 s).
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { PatientSignal } from '../schemas/generated/avro-types.js';
import { readTopicToEnd } from '../platform/kafka/admin.js';
import { allTopics } from '../platform/kafka/topics.js';
import { Dependencies } from '../platform/service/dependencies.js';
import type { PgPool } from '../platform/storage/postgres.js';
import { ReminderIndex } from '../platform/stores/reminder-index.js';
import { createTestTopics, eventually, silentLogger, testConfig, uniqueId } from './helpers.js';
import { freePort, ProductProcess } from './product.js';

const COUNT = Number(process.env['REMINDERS_KILL_COUNT'] ?? 10_000);
const SPAN_MS = Number(process.env['REMINDERS_KILL_SPAN_S'] ?? 120) * 1000;
const KILLS = 10;
const SHARDS = 12;
const cfg = testConfig({ 'reminders.shards': String(SHARDS) });
const deps = new Dependencies(cfg, silentLogger);
const cleanups: Array<() => Promise<void>> = [];
let pool: PgPool;

before(async () => {
  cleanups.push(await createTestTopics(cfg, allTopics().filter((t) => t.name === 'patient.signals')));
  pool = await deps.postgres();
});
after(async () => {
  await pool.query('DELETE FROM reminders.occurrences WHERE deployment = $1', [cfg.kafka.topicPrefix]);
  await new ReminderIndex(await deps.redis(), cfg.kafka.topicPrefix, cfg.redis.keyPrefix).clear(SHARDS);
  for (const c of cleanups.reverse()) await c();
  await deps.close();
});

test(`kill -9 of the scheduler ${KILLS} times while ${COUNT} reminders fall due over ${SPAN_MS / 1000} s: every one dispatched, none twice on Kafka`, { timeout: SPAN_MS + 240_000 }, async (t) => {
  const org = uniqueId('org_');
  const start = Date.now() + 5_000;
  // Stored occurrences as planning leaves them, due evenly over the span, one shard per patient hash.
  await pool.query(
    `INSERT INTO reminders.occurrences (deployment, id, organization_id, patient_id, kind, plan_item_id, medication_id, due_at, shard)
     SELECT $1, 'dose_due:' || $2 || '_rx' || i || ':' || to_char(to_timestamp(($3::float8 + (i - 1) * $4::float8) / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            $2, $2 || '_p' || (i % 2000), 'dose_due', $2 || '_rx' || i, $2 || '_rx' || i, to_timestamp(($3::float8 + (i - 1) * $4::float8) / 1000.0), i % $5
       FROM generate_series(1, $6) AS i`, [cfg.kafka.topicPrefix, org, start, SPAN_MS / COUNT, SHARDS, COUNT]);

  const env = async (): Promise<NodeJS.ProcessEnv> => ({
    ...process.env, CARELOOP_KAFKA_TOPIC_PREFIX: cfg.kafka.topicPrefix, CARELOOP_SERVICES_OPS_PORT: String(await freePort()), CARELOOP_LOG_LEVEL: 'warn',
    CARELOOP_AUDIT_ANCHOR_INTERVAL: '0s', CARELOOP_REMINDERS_ENABLED: 'true', CARELOOP_REMINDERS_SHARDS: String(SHARDS), CARELOOP_REMINDERS_ORGANIZATIONS: org,
    CARELOOP_REMINDERS_VISIBILITY_TIMEOUT: '5s', CARELOOP_REMINDERS_INDEX_INTERVAL: '1s',
  });
  let product = await ProductProcess.start(['scheduler'], await env());
  const killedAt: number[] = [];
  const restartMs: number[] = [];
  try {
    // Kills at random instants spread over the span (a process starts in seconds here), restarting at once.
    const gap = SPAN_MS / KILLS;
    let startupMs = 0;
    for (let k = 0; k < KILLS; k++) {
      await new Promise((r) => setTimeout(r, randomInt(500, Math.max(1_000, Math.floor(gap - startupMs)))));
      product.child.kill('SIGKILL');
      await new Promise((r) => product.child.once('exit', r));
      killedAt.push(Date.now() - start);
      const t0 = Date.now();
      product = await ProductProcess.start(['scheduler'], await env());
      startupMs = Date.now() - t0;
      restartMs.push(startupMs);
    }
    await eventually(async () => {
      const { rows: [c] } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM reminders.occurrences WHERE deployment = $1 AND state = 'dispatched'`, [cfg.kafka.topicPrefix]);
      return Number(c?.n) === COUNT ? true : undefined;
    }, 120_000, 'every reminder marked dispatched');
  } finally {
    await product.stop();
  }

  const catalogue = await deps.catalogue();
  const records = await readTopicToEnd(cfg.kafka, `${cfg.kafka.topicPrefix}patient.signals`, 120_000);
  const decoded = await Promise.all(records.map(async (r) => ({ s: await catalogue.decode<PatientSignal>(r.value), at: r.timestamp })));
  const signals = decoded.filter((d) => d.s.organizationId === org).map((d) => d.s);
  // Marked in PostgreSQL well after its record reached Kafka: a batch cut by a kill, found on Kafka by its redelivery.
  const publishedAt = new Map(decoded.filter((d) => d.s.organizationId === org).map((d) => [d.s.signalId, d.at]));
  const { rows: marked } = await pool.query<{ id: string; at: Date }>(`SELECT id, dispatched_at AS at FROM reminders.occurrences WHERE deployment = $1`, [cfg.kafka.topicPrefix]);
  const foundOnKafka = marked.filter((m) => m.at.getTime() - (publishedAt.get(m.id) ?? Infinity) > 2_000).length;
  const perId = new Map<string, number>();
  for (const s of signals) perId.set(s.signalId, (perId.get(s.signalId) ?? 0) + 1);
  const twice = [...perId.values()].filter((n) => n > 1).length;
  const { rows: [l] } = await pool.query<{ p50: number; p99: number; max: number; redelivered: string }>(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, max(ms) AS max,
            count(*) FILTER (WHERE deliveries > 1) AS redelivered
       FROM (SELECT extract(epoch FROM dispatched_at - due_at) * 1000 AS ms, deliveries FROM reminders.occurrences WHERE deployment = $1) x`, [cfg.kafka.topicPrefix]);
  t.diagnostic(JSON.stringify({ count: COUNT, spanS: SPAN_MS / 1000, kills: killedAt.length, killedAtS: killedAt.map((t) => Math.round(t / 100) / 10), kafkaRecords: signals.length, distinct: perId.size, twice, redeliveredInPg: Number(l?.redelivered), foundOnKafka, restartMs, latenessMs: { p50: l?.p50, p99: l?.p99, max: l?.max } }));
  assert.equal(killedAt.length, KILLS);
  assert.equal(perId.size, COUNT, 'every reminder dispatched: one distinct signal id each on Kafka');
  // A kill between publishing a batch and marking it dispatched: the redelivery finds the batch on Kafka.
  assert.equal(twice, 0, 'no reminder twice on Kafka');
  assert.equal(signals.length, COUNT, 'one record per reminder on Kafka');
  const { rows: [d] } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM reminders.occurrences WHERE deployment = $1 AND deliveries <> 1`, [cfg.kafka.topicPrefix]);
  assert.equal(Number(d?.n), 0, 'PostgreSQL records each reminder dispatched once');
});
