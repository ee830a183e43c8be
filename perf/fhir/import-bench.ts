/**
 * Runs the real `careloop import fhir` over a data set (perf/fhir/make-dataset.ts) into a fresh
 * organisation and measures wall time, resources/s, the importer's peak RSS and CPU per resource
 * (from /proc), PostgreSQL's CPU, the load average, and with --profile where the importer's CPU goes.
 * Usage: node dist/perf/fhir/import-bench.js --data DIR [--label TEXT] [--profile] [-- import flags…]
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../platform/config/config.js';
import { applyTopics } from '../../platform/kafka/admin.js';
import { TOPICS } from '../../platform/kafka/topics.js';
import { repoRoot } from '../../platform/paths.js';
import { createPgPool } from '../../platform/storage/postgres.js';
import { procSample } from '../capacity/proc.js';
import { profileAreas, type CpuProfile } from './profile-areas.js';
import { handleHelp } from '../usage.js';

handleHelp(`Usage: node dist/perf/fhir/import-bench.js --data DIR [--label TEXT] [--profile] [--out FILE] [-- import flags…]

Runs the real careloop import fhir over a data set (dist/perf/fhir/make-dataset.js) into a fresh
organisation org_fhirbench_<id>, its patient.signals going to a topic of its own (prefix fhirbench.
unless CARELOOP_KAFKA_TOPIC_PREFIX is set), and measures wall time, resources/s, the importer's
peak RSS and CPU ms per resource, PostgreSQL's and the Kafka broker's CPU per resource (from /proc)
and the load average. The organisation and what was imported stay.

  --data DIR      the Bulk Data NDJSON directory to import (required)
  --label TEXT    a note stored with the result (default none)
  --profile       run the importer under --cpu-prof and charge its CPU to stages (profile-areas.ts)
  --out FILE      the JSON result (default perf/results/fhir-import-<time>.json)
  -- flags…       passed on to careloop import fhir, e.g. -- --concurrency 8 --unit-size 1000

Needs the local stack (PostgreSQL, Kafka, the schema registry: bin/careloop stack up) and the
compiled dist/ (npx tsc -p tsconfig.json). Run it alone (flock a shared lock on a shared machine).
Writes the result file and appends a line to perf/results/fhir-import.jsonl.
Exit status: the importer's (0 when it succeeded); 1 on an error, an unknown flag or without --data.`);

const TICKS = 100;

/** CPU seconds per pid of the processes `match` picks by command line (PostgreSQL backends, Kafka). */
function cpuByPid(match: (cmd: string) => boolean): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (!match(cmd)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, (Number(f[11]) + Number(f[12])) / TICKS);
    } catch { /* the process ended between the listing and the read */ }
  }
  return out;
}

/**
 * CPU used by matching processes since the tracker started, sampled during the run: the importer's
 * PostgreSQL backends end with it, so one reading after the run would miss them.
 */
function cpuTracker(match: (cmd: string) => boolean): { sample(): void; used(): number } {
  const first = cpuByPid(match);
  const last = new Map(first);
  return {
    sample() { for (const [pid, s] of cpuByPid(match)) { if (!first.has(pid)) first.set(pid, 0); last.set(pid, s); } },
    used() { let t = 0; for (const [pid, s] of last) t += s - (first.get(pid) ?? 0); return t; },
  };
}

const isPostgres = (cmd: string): boolean => cmd.startsWith('postgres') || cmd.includes('/bin/postgres ');
const isKafka = (cmd: string): boolean => cmd.includes('kafka.Kafka');

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { data: { type: 'string' }, label: { type: 'string', default: '' }, profile: { type: 'boolean', default: false }, out: { type: 'string' } }, allowPositionals: true });
  if (values.data === undefined) throw new Error('usage: import-bench --data DIR [--label TEXT] [--profile] [-- import flags]');
  const cfg = loadConfig({ env: process.env });
  const prefix = cfg.kafka.topicPrefix === '' ? 'fhirbench.' : cfg.kafka.topicPrefix;
  // The signals go to a topic of the bench's own, so nobody's dialogue acts on a million fake patients.
  await applyTopics({ brokers: cfg.kafka.brokers, ssl: cfg.kafka.ssl, prefix, partitionScale: 1, replicationFactor: 1, topics: TOPICS.filter((t) => t.name === 'patient.signals') });
  const pool = createPgPool({ ...cfg.postgres, applicationName: 'fhirbench' });
  const org = `org_fhirbench_${Date.now().toString(36)}`;
  await pool.query(`INSERT INTO organizations (id, slug, display_name) VALUES ($1, $1, 'FHIR bench')`, [org]);
  await pool.end();
  const profDir = mkdtempSync(join(tmpdir(), 'fhirbench-prof-'));
  const nodeArgs = [...(values.profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), join(repoRoot(), 'dist', 'cli', 'main.js'), 'import', 'fhir', values.data, '--org', org, '--json', '--rejects', join(profDir, 'rejects.ndjson'), ...positionals];
  const load0 = loadavg();
  const pgCpuT = cpuTracker(isPostgres);
  const kafkaCpuT = cpuTracker(isKafka);
  const started = Date.now();
  const child = spawn(process.execPath, nodeArgs, { env: { ...process.env, CARELOOP_KAFKA_TOPIC_PREFIX: prefix }, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
  let peakRss = 0;
  let lastCpu = 0;
  const timer = setInterval(() => {
    try { const s = procSample(child.pid ?? 0); peakRss = Math.max(peakRss, s.rssBytes); lastCpu = s.cpuSeconds; } catch { /* exited */ }
  }, 200);
  const others = setInterval(() => { pgCpuT.sample(); kafkaCpuT.sample(); }, 1000);
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  clearInterval(timer);
  clearInterval(others);
  const wallS = (Date.now() - started) / 1000;
  kafkaCpuT.sample();
  const pgCpu = pgCpuT.used();
  const kafkaCpu = kafkaCpuT.used();
  const summary = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { resources: number; rejected: number; elapsedMs: number; counts: Record<string, Record<string, number>> };
  const profFile = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  const areas = profFile === undefined ? null : profileAreas(JSON.parse(readFileSync(join(profDir, profFile), 'utf8')) as CpuProfile);
  const n = summary.resources;
  const result = {
    at: new Date().toISOString(), label: values.label, data: values.data, org, exitCode: code, importFlags: positionals,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadAverageBefore: load0.map((x) => Math.round(x * 100) / 100), loadAverageAfter: loadavg().map((x) => Math.round(x * 100) / 100) },
    resources: n, rejected: summary.rejected, counts: summary.counts,
    wallSeconds: Math.round(wallS * 10) / 10, importSeconds: summary.elapsedMs / 1000,
    resourcesPerSecond: Math.round(n / (summary.elapsedMs / 1000)),
    importerPeakRssMiB: Math.round(peakRss / 2 ** 20),
    // CPU is sampled every 200 ms; the last sample before exit misses at most that much.
    importerCpuMsPerResource: Math.round((lastCpu * 1000 / n) * 1000) / 1000,
    // Every backend and the broker, whoever uses them: on a shared stack these include others' work.
    postgresCpuMsPerResource: Math.round((pgCpu * 1000 / n) * 1000) / 1000,
    kafkaCpuMsPerResource: Math.round((kafkaCpu * 1000 / n) * 1000) / 1000,
    profile: areas,
  };
  const dir = join(repoRoot(), 'perf', 'results');
  mkdirSync(dir, { recursive: true });
  const file = values.out ?? join(dir, `fhir-import-${result.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  appendFileSync(join(dir, 'fhir-import.jsonl'), `${JSON.stringify({ ...result, profile: areas?.areas ?? null })}\n`);
  const { profile: _p, counts: _c, ...brief } = result;
  console.log(JSON.stringify(brief, null, 2));
  if (areas !== null) for (const a of areas.areas) console.log(`${String(a.ms).padStart(9)} ms ${a.share.toFixed(1).padStart(5)} %  ${a.area}`);
  console.log(`written to ${file}`);
  process.exitCode = code === 0 ? 0 : code;
}

main().catch((err: unknown) => { console.error(err instanceof Error ? err.stack : err); process.exit(1); });
