/**
 * The hot-path measurement: CPU milliseconds per chat message of every process on the chat path.
 * Starts intent, dialogue, actions, delivery-ws, analytics-sink and the gateway as their own
 * `careloop run <service>` processes under a fresh topic and Redis key prefix, with a private
 * redis-server of their own (so its CPU and command counts are this run's alone), drives a fixed
 * number of messages through perf/load-harness, and reads /proc utime+stime of each process before
 * and after: the product's processes, the private Redis, and the shared Kafka broker, PostgreSQL,
 * ClickHouse and schema registry (shared with whoever else runs: upper bounds). Prints the table and
 * writes perf/results/hotpath-<run>.json (the harness's own result beside it).
 *
 *   node dist/perf/chat-load/hotpath.js --messages 6000 --rate 300 [--driver kafkajs|rdkafka] [--connections 200] [--label TEXT]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { repoRoot } from '../../platform/paths.js';
import { cpuPerMessage, pidsWhere, snapshot, type ProcGroup } from './cpu.js';

const USAGE = `Usage: node dist/perf/chat-load/hotpath.js [--messages N] [--rate R] [--driver kafkajs|rdkafka] [--connections C] [--label TEXT] [--redis-port P] [--profile DIR]
  --profile DIR   run every service under --cpu-prof; profiles in DIR/<service>.cpuprofile (node dist/perf/cpuprofile-top.js DIR/*.cpuprofile)
CPU ms per chat message per process and in total (see perf/README.md, "Hot path").`;

const { values: flags } = parseArgs({
  options: {
    messages: { type: 'string', default: '6000' }, rate: { type: 'string', default: '300' }, driver: { type: 'string', default: 'kafkajs' },
    connections: { type: 'string', default: '200' }, profile: { type: 'string' }, label: { type: 'string', default: '' }, 'redis-port': { type: 'string', default: '26391' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (flags.help === true) { console.log(USAGE); process.exit(0); }
const MESSAGES = Number(flags.messages);
const RATE = Number(flags.rate);
const CONNECTIONS = Number(flags.connections);
const DRIVER = flags.driver ?? 'kafkajs';
const REDIS_PORT = Number(flags['redis-port']);
if (!(MESSAGES > 0 && RATE > 0 && CONNECTIONS > 0) || !['kafkajs', 'rdkafka'].includes(DRIVER)) { console.error(USAGE); process.exit(2); }

const root = repoRoot();
const run = `hp${Date.now().toString(36)}`;
const SERVICES = ['intent', 'dialogue', 'actions', 'delivery-ws', 'analytics-sink', 'gateway'] as const;
const GATEWAY_PORT = 3291;
const env: NodeJS.ProcessEnv = {
  ...process.env,
  CARELOOP_KAFKA_TOPIC_PREFIX: `${run}.`, CARELOOP_REDIS_KEY_PREFIX: `${run}:`, CARELOOP_LOG_LEVEL: 'warn',
  CARELOOP_REDIS_URL: `redis://127.0.0.1:${REDIS_PORT}`, CARELOOP_KAFKA_DRIVER: DRIVER,
  CARELOOP_SERVICES_GATEWAY_PORT: String(GATEWAY_PORT), CARELOOP_SERVICES_API_PORT: '3290',
  CARELOOP_GATEWAY_RATE_LIMIT_BURST: '100000', CARELOOP_GATEWAY_RATE_LIMIT_PER_MINUTE: '6000000',
  CARELOOP_API_RATE_LIMIT_BURST: '1000000', CARELOOP_API_RATE_LIMIT_PER_MINUTE: '60000000',
};
const cli = join(root, 'dist/cli/main.js');
const log = (m: string): void => { console.log(`hotpath: ${m}`); };

async function metricSum(port: number, name: string, having = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name) && line.includes(having) && !line.includes('outcome="dead_lettered"')) sum += Number(line.split(' ').pop());
  return sum;
}

/** Messages the gateway accepted: its chat.inbound records acknowledged by Kafka (replays downstream do not count). */
const accepted = (gatewayPort: number): Promise<number> => metricSum(gatewayPort, 'careloop_records_produced_total', 'topic="chat.inbound"');

async function waitReady(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try { if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok) return; } catch { /* not yet listening */ }
    await sleep(500);
  }
  throw new Error(`ops port ${port} not ready in ${ms} ms`);
}

/** Redis commands of the private server by name (cmdstat_<name>:calls=N). */
async function commandStats(url: string): Promise<Record<string, number>> {
  const c = createClient({ url });
  await c.connect();
  const info = await c.info('commandstats');
  await c.quit();
  const out: Record<string, number> = {};
  for (const m of info.matchAll(/cmdstat_([^:]+):calls=(\d+)/g)) out[m[1] as string] = Number(m[2]);
  return out;
}

/** Waits until no processor's record count moved for 3 s (the backlog is worked off), at most 5 minutes. */
async function quiesce(ports: readonly number[]): Promise<void> {
  let last = -1;
  let still = 0;
  for (let i = 0; i < 300 && still < 3; i++) {
    const n = (await Promise.all(ports.map((p) => metricSum(p, 'careloop_records_processed_total')))).reduce((a, b) => a + b, 0);
    still = n === last ? still + 1 : 0;
    if (still === 0 && i % 10 === 0) log(`waiting for the backlog: ${n} records processed so far`);
    last = n;
    await sleep(1000);
  }
}

function stopAll(children: readonly ChildProcess[]): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
}

async function main(): Promise<void> {
  const redisServer = spawn('redis-server', ['--port', String(REDIS_PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const children: ChildProcess[] = [redisServer];
  try {
    await sleep(500);
    log(`run ${run}: prepare topics ${run}.*, seed ${CONNECTIONS} load patients (driver ${DRIVER})`);
    const prep = spawnSync(process.execPath, [cli, 'prepare'], { env, encoding: 'utf8' });
    if (prep.status !== 0) throw new Error(`prepare failed: ${prep.stderr}`);
    const seeded = spawnSync(process.execPath, [cli, 'seed', '--load', String(CONNECTIONS)], { env, encoding: 'utf8' });
    if (seeded.status !== 0) throw new Error(`seed failed: ${seeded.stderr}`);
    const demoFile = join('/tmp', `${run}-load.json`);
    copyFileSync(join(root, '.stack', 'load.json'), demoFile); // shared file: others may rewrite it

    const procs = new Map<string, { child: ChildProcess; port: number }>();
    SERVICES.forEach((s, i) => {
      const port = 9581 + i;
      const prof = flags.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${flags.profile}`, `--cpu-prof-name=${s}.cpuprofile`];
      const child = spawn(process.execPath, [...prof, cli, 'run', s], { env: { ...env, CARELOOP_SERVICES_OPS_PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
      procs.set(s, { child, port });
      children.push(child);
    });
    await Promise.all([...procs.values()].map((p) => waitReady(p.port, 180_000)));
    await sleep(5000); // consumer groups settle

    const groups: ProcGroup[] = [
      ...[...procs].map(([s, p]) => ({ name: s, pids: () => [p.child.pid as number], shared: false })),
      { name: 'redis (private)', pids: () => [redisServer.pid as number], shared: false },
      { name: 'kafka (shared)', pids: () => pidsWhere((c) => c.includes('kafka.Kafka ')), shared: true },
      { name: 'postgresql (shared)', pids: () => pidsWhere((c) => c.startsWith('postgres') || c.includes('/bin/postgres ')), shared: true },
      { name: 'clickhouse (shared)', pids: () => pidsWhere((c) => c.includes('clickhouse-server')), shared: true },
      { name: 'registry (shared)', pids: () => pidsWhere((c) => c.includes('apicurio')), shared: true },
    ];
    const intentPort = (procs.get('intent') as { port: number }).port;
    const redisUrl = `redis://127.0.0.1:${REDIS_PORT}`;
    const gatewayPort = (procs.get('gateway') as { port: number }).port;
    const recordsBefore = await metricSum(intentPort, 'careloop_records_processed_total');
    const acceptedBefore = await accepted(gatewayPort);
    const cmdsBefore = await commandStats(redisUrl);
    const load1Before = loadavg()[0] ?? 0;
    const before = snapshot(groups);
    const startedAt = Date.now();

    const harnessOut = join(root, 'perf/results', `${run}-harness.json`);
    const duration = MESSAGES / RATE;
    log(`load: ${MESSAGES} messages at ${RATE} msg/s (${duration.toFixed(1)} s) over ${CONNECTIONS} connections`);
    const harness = spawn(process.execPath, [join(root, 'dist/perf/load-harness.js'), '--demo-file', demoFile, '--connections', String(CONNECTIONS),
      '--rate', String(RATE), '--duration', String(duration), '--warmup', '0', '--drain', '30', '--out', harnessOut, '--label', `hotpath ${run} ${DRIVER} ${flags.label ?? ''}`],
    { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let harnessText = '';
    harness.stdout.on('data', (d: Buffer) => { harnessText += d.toString(); process.stdout.write(d); });
    await new Promise((resolve) => harness.on('exit', resolve));
    await quiesce([...procs].filter(([s]) => s !== 'gateway').map(([, p]) => p.port)); // a backlog is worked off before the bracket closes
    const after = snapshot(groups);
    const wallMs = Date.now() - startedAt;
    const messages = (await accepted(gatewayPort)) - acceptedBefore;
    // Above 1 when consumers replayed records (a rebalance on a starved machine): their cost is in the figures.
    const intentRecordsPerMessage = Math.round((((await metricSum(intentPort, 'careloop_records_processed_total')) - recordsBefore) / Math.max(1, messages)) * 100) / 100;
    const cmdsAfter = await commandStats(redisUrl);
    const cpu = cpuPerMessage(groups, before, after, messages);
    const commands: Record<string, number> = {};
    let commandsTotal = 0;
    for (const [k, v] of Object.entries(cmdsAfter)) {
      const d = v - (cmdsBefore[k] ?? 0) - (k === 'info' ? 1 : 0);
      if (d > 0) { commands[k] = Math.round((d / Math.max(1, messages)) * 100) / 100; commandsTotal += d; }
    }
    const load = JSON.parse(readFileSync(harnessOut, 'utf8')) as { results?: Record<string, unknown> };

    const lines = [
      `CPU ms per message (${messages} messages accepted by the gateway, intent records per message ${intentRecordsPerMessage}, ${(wallMs / 1000).toFixed(1)} s, driver ${DRIVER}, load average ${load1Before.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)}, ${cpus().length} CPUs)`,
      ...Object.entries(cpu.perProcess).map(([k, v]) => `  ${k.padEnd(22)} ${v.toFixed(3).padStart(8)}`),
      `  ${'product + private Redis'.padEnd(22)} ${cpu.product.toFixed(3).padStart(8)}`,
      `  ${'total (with shared)'.padEnd(22)} ${cpu.total.toFixed(3).padStart(8)}`,
      `  ${'whole machine (all)'.padEnd(22)} ${cpu.machine.toFixed(3).padStart(8)}   (includes everyone else's work on a shared machine)`,
      `Redis commands per message: ${(commandsTotal / Math.max(1, messages)).toFixed(2)}  (${Object.entries(commands).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')})`,
    ];
    console.log(`\n${lines.join('\n')}`);
    const out = {
      run, label: flags.label ?? '', driver: DRIVER, config: { messages: MESSAGES, rate: RATE, connections: CONNECTIONS },
      command: `node dist/perf/chat-load/hotpath.js ${process.argv.slice(2).join(' ')}`,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, loadAverage1mBefore: load1Before, loadAverage1mAfter: loadavg()[0] },
      messages, intentRecordsPerMessage, wallMs, cpuMsPerMessage: cpu, cpuMs: Object.fromEntries(groups.map((g) => [g.name, (after[g.name] ?? 0) - (before[g.name] ?? 0)])), redisCommandsPerMessage: { total: Math.round((commandsTotal / Math.max(1, messages)) * 100) / 100, byCommand: commands },
      harness: load.results ?? null, harnessTail: harnessText.split('\n').slice(-30).join('\n'),
    };
    mkdirSync(join(root, 'perf/results'), { recursive: true });
    const file = join(root, 'perf/results', `hotpath-${run}.json`);
    writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
    log(`results in ${file}`);
  } finally {
    const services = children.slice(1);
    stopAll(services);
    // Services exit on their own after SIGTERM (and write their --cpu-prof then); Redis goes last.
    await Promise.race([Promise.all(services.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.on('exit', r)) : null))), sleep(20_000)]);
    for (const c of services) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    redisServer.kill('SIGTERM');
  }
}

await main();
