/*
 * Analytics sink throughput: N records of the six data-flow topics produced to Kafka first (Avro,
 * through the schema registry), then one analytics-sink service started on them: the time from its
 * start until every row is in ClickHouse (the fact tables and aggregates fill in the same inserts).
 * Prints the figures and writes perf/results/analytics-sink.json.
 *   node dist/perf/analytics/sink-throughput.js [count=1000000] [driver=rdkafka]
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../platform/config/config.js';
import { adminClient, applyTopics } from '../../platform/kafka/admin.js';
import { allTopics, GROUPS } from '../../platform/kafka/topics.js';
import { createLogger } from '../../platform/log.js';
import { repoRoot } from '../../platform/paths.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import { createMetrics } from '../../platform/service/metrics.js';
import { createClickHouse, migrateClickHouse } from '../../platform/storage/clickhouse.js';
import { analyticsSink } from '../../stream-processors/analytics-sink/main.js';
import { syntheticRecord } from './synthetic-records.js';
import { handleHelp } from '../usage.js';

handleHelp(`Usage: node dist/perf/analytics/sink-throughput.js [count] [driver]

Analytics sink throughput: produces N records of the six data-flow topics (synthetic-records.ts:
20,000 patients, five organisations) to a throw-away topic prefix perfsink<id>., then starts one
analytics sink on them in this process and times it until every row is in a throw-away ClickHouse
database perf_sink_<id> (waits at most 10 minutes); prints the rate and the CPU seconds of the sink
and of the ClickHouse server. Topics and database are deleted at the end.

  count    records to produce (default 1000000)
  driver   Kafka driver: rdkafka or kafkajs (default rdkafka)

Needs the local stack: Kafka, the schema registry and ClickHouse (bin/careloop stack up);
the CARELOOP_* settings point elsewhere.
Writes perf/results/analytics-sink.json.
Exit status 0 when done; 1 on an error; 2 for a --flag (it takes none).`, { flags: [] });

/** CPU seconds a process has used so far (user + system), from /proc; 0 where there is none. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}
/** The ClickHouse server's pid: the stack's pid file, else the process named clickhouse-server (a stack shared from another checkout). */
function findClickhousePid(): number {
  try { return Number(readFileSync(join(repoRoot(), '.stack/run/clickhouse.pid'), 'utf8').trim()); } catch { /* not this checkout's stack */ }
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try { if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim().startsWith('clickhouse')) return Number(entry); } catch { /* gone */ }
  }
  return 0;
}
const clickhousePid = findClickhousePid();

/** CPU seconds of this process's threads by thread name (main, libuv pool, V8 workers, librdkafka's rdk:*). */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) || '?').replace(/[0-9]+$/, '').replace(/^rdk:broker.*/, 'rdk:broker');
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
    } catch { /* the thread ended */ }
  }
  return out;
}

const count = Number(process.argv[2] ?? 1_000_000);
const driver = process.argv[3] ?? 'rdkafka';
const prefix = `perfsink${randomUUID().slice(0, 8)}.`;
const database = `perf_sink_${randomUUID().slice(0, 8)}`;
const cfg = loadConfig({ env: process.env, overrides: { 'kafka.topicPrefix': prefix, 'kafka.driver': driver, 'log.level': 'warn', 'clickhouse.database': database } });
const log = createLogger({ level: 'warn' });
const group = GROUPS.find((g) => g.id === 'analytics-sink');
const topics = allTopics().filter((t) => (group?.topics as readonly string[]).includes(t.name) || t.name === 'dlq.analytics-sink');
const admin = createClickHouse(cfg.clickhouse, null);
await applyTopics({ brokers: cfg.kafka.brokers, ssl: cfg.kafka.ssl, prefix, partitionScale: 1, replicationFactor: 1, topics });
await migrateClickHouse(cfg.clickhouse, join(repoRoot(), 'platform/storage/migrations/clickhouse'));
const deps = new Dependencies(cfg, log);
try {
  const publisher = await deps.publisher();
  const produceStart = Date.now();
  const base = Date.UTC(2026, 10, 1);
  for (let i = 0; i < count; i += 5000) {
    const byTopic = new Map<string, Array<{ key: string; value: unknown }>>();
    for (let k = i; k < Math.min(count, i + 5000); k++) {
      const r = syntheticRecord(k, base);
      let list = byTopic.get(r.topic);
      if (list === undefined) byTopic.set(r.topic, (list = []));
      list.push({ key: r.key, value: r.value });
    }
    await Promise.all([...byTopic].map(([topic, records]) => publisher.publish(topic as any, records as any)));
  }
  const produceMs = Date.now() - produceStart;
  console.log(`produced ${count} records in ${produceMs} ms`);

  const client = createClickHouse(cfg.clickhouse);
  const start = Date.now();
  const sinkCpu0 = process.cpuUsage();
  const threads0 = threadCpu();
  const chCpu0 = cpuSeconds(clickhousePid);
  const service = await analyticsSink.start({ cfg, log, metrics: createMetrics(false), deps, now: Date.now });
  let firstRowAt = 0;
  let rows = 0;
  while (rows < count && Date.now() - start < 600_000) {
    await new Promise((r) => setTimeout(r, 200));
    const rs = await client.query({ query: `SELECT count() AS n FROM ${database}.events`, format: 'JSONEachRow' });
    rows = Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
    if (rows > 0 && firstRowAt === 0) firstRowAt = Date.now();
  }
  const doneAt = Date.now();
  const sinkCpu = process.cpuUsage(sinkCpu0);
  const sinkCpuSeconds = (sinkCpu.user + sinkCpu.system) / 1e6;
  const clickhouseCpuSeconds = cpuSeconds(clickhousePid) - chCpu0;
  const threads = [...threadCpu()].map(([name, sec]) => [name, Math.round((sec - (threads0.get(name) ?? 0)) * 10) / 10] as const).filter(([, sec]) => sec > 0).sort((a, b) => b[1] - a[1]);
  await service.stop();
  const facts = await client.query({ query: `SELECT (SELECT count() FROM ${database}.messages) AS messages, (SELECT count() FROM ${database}.dose_outcomes) AS dose_outcomes, (SELECT count() FROM ${database}.deliveries) AS deliveries`, format: 'JSONEachRow' });
  const result = {
    measuredAt: new Date().toISOString(), count, driver, rowsInClickHouse: rows,
    produceMs, totalMs: doneAt - start, steadyMs: doneAt - firstRowAt,
    eventsPerSecond: Math.round(rows / ((doneAt - start) / 1000)),
    steadyEventsPerSecond: Math.round(rows / ((doneAt - firstRowAt) / 1000)),
    // Per CPU-second of each side: what one core would sustain on a machine not shared with others.
    sinkCpuSeconds: Math.round(sinkCpuSeconds * 10) / 10,
    clickhouseCpuSeconds: Math.round(clickhouseCpuSeconds * 10) / 10,
    sinkEventsPerCpuSecond: Math.round(rows / sinkCpuSeconds),
    sinkCpuMsPer1000Events: Math.round((sinkCpuSeconds * 1e7) / rows) / 10,
    clickhouseCpuMsPer1000Events: Math.round((clickhouseCpuSeconds * 1e7) / rows) / 10,
    sinkCpuSecondsByThread: Object.fromEntries(threads),
    clickhouseEventsPerCpuSecond: clickhouseCpuSeconds > 0 ? Math.round(rows / clickhouseCpuSeconds) : null,
    loadAverageAtEnd: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    factRows: (await facts.json<Record<string, string>>())[0],
    machine: '2 shared cores; Kafka, registry, ClickHouse 18.16 and the sink on the same machine',
  };
  await client.close();
  console.log(JSON.stringify(result, null, 2));
  mkdirSync(join(repoRoot(), 'perf/results'), { recursive: true });
  writeFileSync(join(repoRoot(), 'perf/results/analytics-sink.json'), JSON.stringify(result, null, 2) + '\n');
} finally {
  await deps.close();
  await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  await admin.close();
  const kafka = adminClient({ brokers: cfg.kafka.brokers, ssl: cfg.kafka.ssl }).admin();
  await kafka.connect();
  await kafka.deleteTopics({ topics: topics.map((t) => prefix + t.name) }).catch(() => undefined);
  await kafka.disconnect();
}
