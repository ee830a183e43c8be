/**
 * Capacity measurements for docs/capacity.md: runs every service as its own process against the
 * local stack (own topic and Redis key prefix), drives chat load through the gateway with
 * perf/load-harness, then measures CPU per record per service, RSS, Redis bytes by key family,
 * Kafka bytes per record per topic, PostgreSQL bytes per row and ClickHouse bytes per event.
 * Usage: node dist/perf/capacity/measure.js [--rate 200] [--duration 30] [--connections 1000]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { cpus, totalmem, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig } from '../../platform/config/config.js';
import { repoRoot } from '../../platform/paths.js';
import { createPgPool } from '../../platform/storage/postgres.js';
import { connectRedis } from '../../platform/storage/redis.js';
import { assertIdentifier, createClickHouse } from '../../platform/storage/clickhouse.js';
import { procSample, type ProcSample } from './proc.js';
import { handleHelp } from '../usage.js';

handleHelp(`Usage: node dist/perf/capacity/measure.js [--rate R] [--duration S] [--connections N]

Capacity measurements for docs/capacity.md (about 3 minutes): prepares a fresh topic prefix and
Redis key prefix cap<id>, seeds N load patients, runs every service as its own process
(careloop run …; API port 3190, gateway 3191, ops ports 9481-9487), drives chat load through the
gateway with dist/perf/load-harness.js, then measures records per core-second and RSS per service,
Redis bytes per key family, Kafka bytes per record per topic, PostgreSQL bytes per row and
ClickHouse bytes per event. The run's topics cap<id>.* and Redis keys cap<id>:* are left in place.

  --rate R          messages per second (default 200)
  --duration S      measured seconds of load (default 30)
  --connections N   WebSocket connections, one seeded load patient each (default 1000)

Needs the local stack running (bin/careloop stack up) and the compiled dist/ (npx tsc -p tsconfig.json);
the product's services are started by the script itself.
Writes perf/results/capacity-<run>.json and the harness's perf/results/<run>-load.json.
Exit status 0 when done; 1 on an error (prepare, seed or a service not ready); 2 for an unknown flag.`, { flags: ['--rate', '--duration', '--connections'] });

const root = repoRoot();
const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RATE = arg('rate', 200);
const DURATION = arg('duration', 30);
const CONNECTIONS = arg('connections', 1000);
const run = `cap${Date.now().toString(36)}`;
const SERVICES = ['intent', 'dialogue', 'actions', 'delivery-ws', 'analytics-sink', 'scheduler', 'gateway'] as const;
const GATEWAY_PORT = 3191;
const env = {
  ...process.env,
  CARELOOP_KAFKA_TOPIC_PREFIX: `${run}.`, CARELOOP_REDIS_KEY_PREFIX: `${run}:`, CARELOOP_LOG_LEVEL: 'warn',
  CARELOOP_SERVICES_GATEWAY_PORT: String(GATEWAY_PORT), CARELOOP_SERVICES_API_PORT: '3190',
  CARELOOP_GATEWAY_RATE_LIMIT_BURST: '100000', CARELOOP_GATEWAY_RATE_LIMIT_PER_MINUTE: '6000000',
  CARELOOP_API_RATE_LIMIT_BURST: '1000000', CARELOOP_API_RATE_LIMIT_PER_MINUTE: '60000000',
};
const cli = join(root, 'dist/cli/main.js');
const log = (m: string): void => { console.log(`capacity: ${m}`); };

async function metricSum(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name) && !line.includes('outcome="dead_lettered"')) sum += Number(line.split(' ').pop());
  return sum;
}

async function waitReady(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try { if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok) return; } catch { /* not yet listening */ }
    await sleep(500);
  }
  throw new Error(`ops port ${port} not ready in ${ms} ms`);
}

async function main(): Promise<void> {
  const cfg = loadConfig({ env });
  log(`run ${run}: prepare topics ${run}.* and migrations`);
  const prep = spawnSync(process.execPath, [cli, 'prepare'], { env, encoding: 'utf8' });
  if (prep.status !== 0) throw new Error(`prepare failed: ${prep.stderr}`);
  const seeded = spawnSync(process.execPath, [cli, 'seed', '--load', String(CONNECTIONS)], { env, encoding: 'utf8' });
  if (seeded.status !== 0) throw new Error(`seed failed: ${seeded.stderr}`);
  const demoFile = join('/tmp', `${run}-load.json`);
  copyFileSync(join(root, cfg.stack.dir, 'load.json'), demoFile); // shared file: others may rewrite it

  const procs = new Map<string, { child: ChildProcess; port: number }>();
  SERVICES.forEach((s, i) => {
    const port = 9481 + i;
    const child = spawn(process.execPath, [cli, 'run', s], { env: { ...env, CARELOOP_SERVICES_OPS_PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
    procs.set(s, { child, port });
  });
  try {
    await Promise.all([...procs.values()].map((p) => waitReady(p.port, 120_000)));
    await sleep(5000); // consumer groups settle
    log(`services up; base RSS ${[...procs].map(([s, p]) => `${s} ${Math.round(procSample(p.child.pid as number).rssBytes / 1048576)} MB`).join(', ')}`);
    const before = new Map<string, { cpu: ProcSample; records: number }>();
    for (const [s, p] of procs) before.set(s, { cpu: procSample(p.child.pid as number), records: await metricSum(p.port, 'careloop_records_processed_total') });
    const resultFile = join(root, 'perf/results', `${run}-load.json`);
    log(`load: ${CONNECTIONS} connections, ${RATE} msg/s for ${DURATION} s`);
    const harness = spawnSync(process.execPath, [join(root, 'dist/perf/load-harness.js'), '--demo-file', demoFile, '--connections', String(CONNECTIONS), '--rate', String(RATE), '--duration', String(DURATION), '--warmup', '2', '--drain', '10', '--out', resultFile], { env, encoding: 'utf8', timeout: (DURATION + 120) * 1000 });
    const load = JSON.parse(readFileSync(resultFile, 'utf8')) as { results: { sent?: number; replies?: { count?: number } } & Record<string, unknown> };
    await sleep(3000);
    const services: Record<string, unknown> = {};
    // Every message the gateway accepted is one chat.inbound record for the intent group.
    const intent = procs.get('intent') as { port: number };
    const accepted = (await metricSum(intent.port, 'careloop_records_processed_total')) - (before.get('intent')?.records ?? 0);
    for (const [s, p] of procs) {
      const b = before.get(s) as { cpu: ProcSample; records: number };
      const after = procSample(p.child.pid as number);
      const records = s === 'gateway' ? accepted : (await metricSum(p.port, 'careloop_records_processed_total')) - b.records;
      const cpuSeconds = after.cpuSeconds - b.cpu.cpuSeconds;
      services[s] = { records, cpuSeconds, recordsPerCoreSecond: cpuSeconds > 0 ? Math.round(records / cpuSeconds) : null, rssMB: Math.round(after.rssBytes / 1048576) };
      log(`${s}: ${records} records in ${cpuSeconds.toFixed(2)} CPU s = ${cpuSeconds > 0 ? Math.round(records / cpuSeconds) : '-'} records per core-second; RSS ${Math.round(after.rssBytes / 1048576)} MB`);
    }
    const storage = await measureStorage(cfg, CONNECTIONS);
    const out = { run, config: { rate: RATE, duration: DURATION, connections: CONNECTIONS }, machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGB: Math.round(totalmem() / 2 ** 30), loadAverage1m: loadavg()[0] }, harness: harness.stdout.split('\n').slice(-25).join('\n'), loadResults: load.results, services, storage };
    mkdirSync(join(root, 'perf/results'), { recursive: true });
    const file = join(root, 'perf/results', `capacity-${run}.json`);
    writeFileSync(file, JSON.stringify(out, null, 2));
    log(`results in ${file}`);
  } finally {
    for (const p of procs.values()) p.child.kill('SIGTERM');
  }
}

async function measureStorage(cfg: ReturnType<typeof loadConfig>, patients: number): Promise<Record<string, unknown>> {
  // Redis: every key of this run, by family (the first segment after the prefix).
  const redis = await connectRedis({ url: cfg.redis.url, name: 'capacity' });
  const families: Record<string, { keys: number; bytes: number }> = {};
  for await (const batch of redis.scanIterator({ MATCH: `${run}:*`, COUNT: 1000 })) {
    for (const key of Array.isArray(batch) ? batch : [batch]) {
      const family = key.slice(run.length + 1).split(':')[0] as string;
      const f = (families[family] ??= { keys: 0, bytes: 0 });
      f.keys += 1;
      f.bytes += (await redis.memoryUsage(key)) ?? 0;
    }
  }
  await redis.quit();
  for (const [name, f] of Object.entries(families)) log(`redis ${name}: ${f.keys} keys, ${f.bytes} bytes, ${Math.round(f.bytes / f.keys)} bytes/key`);

  // Kafka: records and on-disk bytes of this run's topics.
  const kafka = new Kafka({ brokers: [...cfg.kafka.brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topics: Record<string, { records: number; bytes: number; bytesPerRecord: number | null }> = {};
  const dataDir = join(root, cfg.stack.dir, 'kafka/data');
  for (const topic of (await admin.listTopics()).filter((t) => t.startsWith(`${run}.`))) {
    const offsets = await admin.fetchTopicOffsets(topic);
    const records = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
    let bytes = 0;
    for (const d of readdirSync(dataDir).filter((x) => x.startsWith(`${topic}-`))) {
      for (const f of readdirSync(join(dataDir, d)).filter((x) => x.endsWith('.log'))) bytes += statSync(join(dataDir, d, f)).size;
    }
    topics[topic.slice(run.length + 1)] = { records, bytes, bytesPerRecord: records > 0 ? Math.round(bytes / records) : null };
  }
  await admin.disconnect();
  for (const [t, v] of Object.entries(topics)) if (v.records > 0) log(`kafka ${t}: ${v.records} records, ${v.bytesPerRecord} bytes/record on disk`);

  // PostgreSQL: bytes per row (heap + indexes + toast) and the load patients' rows per table.
  const pool = createPgPool({ ...cfg.postgres, poolMax: 1, applicationName: 'capacity' });
  const tables = (await pool.query<{ relname: string; rows: string; bytes: string }>(
    `SELECT relname, GREATEST(n_live_tup, 1) AS rows, pg_total_relation_size(relid) AS bytes FROM pg_stat_user_tables WHERE schemaname = 'public'`)).rows;
  const postgres: Record<string, { rows: number; bytesPerRow: number; rowsPerLoadPatient: number | null }> = {};
  for (const t of tables) {
    const hasPatient = (await pool.query(`SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND column_name = 'patient_id'`, [t.relname])).rowCount;
    let perPatient: number | null = null;
    if (hasPatient) {
      const n = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${t.relname} WHERE patient_id LIKE 'pt_load%'`);
      perPatient = Number(n.rows[0]?.n) / patients;
    }
    postgres[t.relname] = { rows: Number(t.rows), bytesPerRow: Math.round(Number(t.bytes) / Number(t.rows)), rowsPerLoadPatient: perPatient };
  }
  await pool.end();
  for (const [t, v] of Object.entries(postgres)) log(`postgres ${t}: ${v.rows} rows, ${v.bytesPerRow} bytes/row (heap + indexes)${v.rowsPerLoadPatient === null ? '' : `, ${v.rowsPerLoadPatient.toFixed(2)} rows per load patient`}`);

  // ClickHouse: compressed bytes per event, per table.
  const ch = createClickHouse(cfg.clickhouse);
  const parts = await (await ch.query({ query: `SELECT table, sum(rows) AS rows, sum(bytes_on_disk) AS bytes FROM system.parts WHERE active AND database = '${assertIdentifier(cfg.clickhouse.database)}' GROUP BY table`, format: 'JSONEachRow' })).json<{ table: string; rows: string; bytes: string }>();
  await ch.close();
  const clickhouse = Object.fromEntries(parts.map((p) => [p.table, { rows: Number(p.rows), bytes: Number(p.bytes), bytesPerRow: Number(p.rows) > 0 ? Math.round(Number(p.bytes) / Number(p.rows)) : null }]));
  for (const [t, v] of Object.entries(clickhouse)) log(`clickhouse ${t}: ${v.rows} rows, ${v.bytesPerRow} bytes/row on disk`);
  return { redis: families, kafka: topics, postgres, clickhouse, patients };
}

await main();
