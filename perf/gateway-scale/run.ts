/**
 * Gateway at scale, side by side with Centrifugo, on loopback: N authenticated, heart-beating
 * sessions held by K server processes; base RSS, RSS per session, idle CPU and fan-out rate
 * (messages/s delivered to the sockets, one message per patient channel per round, every socket
 * of a patient receiving it). The same client (client.ts) drives both.
 *   node dist/perf/gateway-scale/run.js --target careloop|centrifugo [--connections 19000]
 *     [--processes 1] [--patients 1000] [--idle 30] [--rounds 5]
 * Centrifugo comes from .stack/tools/bin/centrifugo (go install github.com/centrifugal/centrifugo/v6@v6.9.1).
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT } from 'jose';
import { loadConfig } from '../../platform/config/config.js';
import type { Sealed } from '../../platform/crypto/envelope.js';
import { createLogger } from '../../platform/log.js';
import { repoRoot } from '../../platform/paths.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import { Outbox } from '../../platform/stores/outbox.js';
import { RouteTable } from '../../platform/stores/routing.js';
import { procSample } from '../capacity/proc.js';
import { handleHelp } from '../usage.js';

handleHelp(`Usage: node dist/perf/gateway-scale/run.js [--target careloop|centrifugo] [--connections N] [--processes K]
         [--patients P] [--idle S] [--rounds R]

Gateway at scale, side by side with Centrifugo, on loopback: N authenticated, heart-beating sessions
held by K server processes (gateways on ports 3301…, ops 9601…; Centrifugo on 8301), opened by
client.js processes; measures base RSS, RSS per session, idle CPU and the fan-out rate (one message
per patient a round to every socket of the patient). Stops by itself (opening at most 5 minutes,
fan-out wait at most 2). perf/gateway-scale/compare.sh runs the usual comparison.

  --target T        careloop or centrifugo (default careloop; any other value is careloop)
  --connections N   sessions in all (default 19000)
  --processes K     gateway processes, careloop only (default 1)
  --patients P      patients the sessions share, seeded as load patients (default 1000)
  --idle S          seconds of idle sessions measured for CPU (default 30)
  --rounds R        fan-out rounds (default 5)

Needs, for careloop: the local stack (Redis, PostgreSQL: bin/careloop stack up) and the compiled dist/;
for centrifugo: .stack/tools/bin/centrifugo (go install github.com/centrifugal/centrifugo/v6@v6.9.1).
Writes perf/results/gateway-scale-<target>-<run>.json (and token files under /tmp).
Exit status 0 when done; 1 on an error; 2 for an unknown flag.`, { flags: ['--target', '--connections', '--processes', '--patients', '--idle', '--rounds'] });

const root = repoRoot();
const num = (name: string, dflt: number): number => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const target = process.argv[process.argv.indexOf('--target') + 1] === 'centrifugo' ? 'centrifugo' : 'careloop';
const N = num('connections', 19_000);
const K = num('processes', 1);
const P = num('patients', 1000);
const IDLE = num('idle', 30);
const ROUNDS = num('rounds', 5);
const PER_CLIENT = 15_000; // each client process stays under its own file limit
const run = `gws${Date.now().toString(36)}`;
const log = (m: string): void => { console.log(`gateway-scale[${target}]: ${m}`); };
const env = {
  ...process.env, CARELOOP_REDIS_KEY_PREFIX: `${run}:`, CARELOOP_LOG_LEVEL: 'warn',
  CARELOOP_API_RATE_LIMIT_BURST: '1000000', CARELOOP_API_RATE_LIMIT_PER_MINUTE: '60000000',
};
const cfg = loadConfig({ env });

interface Server { child: ChildProcess; url: string; opsPort?: number }
interface Counts { opened: number; failed: number; received: number }

async function waitFor(check: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) { if (await check()) return; await sleep(50); }
  throw new Error(`${what}: not within ${ms} ms`);
}
const ok = async (url: string): Promise<boolean> => { try { return (await fetch(url)).ok; } catch { return false; } };

async function startCareloop(): Promise<{ servers: Server[]; tokens: Array<{ token: string; id: string }> }> {
  const seeded = spawnSync(process.execPath, [join(root, 'dist/cli/main.js'), 'seed', '--load', String(P)], { env, encoding: 'utf8' });
  if (seeded.status !== 0) throw new Error(`seed failed: ${seeded.stderr}`);
  const file = `/tmp/${run}-tokens.json`;
  copyFileSync(join(root, cfg.stack.dir, 'load.json'), file);
  const patients = (JSON.parse(readFileSync(file, 'utf8')) as { patients: Array<{ id: string; token: string }> }).patients;
  const servers: Server[] = [];
  for (let k = 0; k < K; k += 1) {
    const port = 3301 + k; const opsPort = 9601 + k;
    const child = spawn(process.execPath, [join(root, 'dist/cli/main.js'), 'run', 'gateway'], {
      env: { ...env, CARELOOP_SERVICES_GATEWAY_PORT: String(port), CARELOOP_SERVICES_OPS_PORT: String(opsPort), CARELOOP_SERVICES_HOST: '127.0.0.1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    servers.push({ child, url: `ws://127.0.0.1:${port}/v1/chat`, opsPort });
  }
  await Promise.all(servers.map((s) => waitFor(() => ok(`http://127.0.0.1:${s.opsPort}/health/live`), 60_000, 'gateway up')));
  return { servers, tokens: patients };
}

const CENTRIFUGO_SECRET = randomBytes(32).toString('hex');
const CENTRIFUGO_API_KEY = randomBytes(16).toString('hex');

async function startCentrifugo(): Promise<{ servers: Server[]; tokens: Array<{ token: string; id: string }> }> {
  if (K !== 1) throw new Error('Centrifugo runs as one node here (several would need its Redis broker)');
  const config = {
    // Pings every 30 s like the gateway's heartbeat; no usage statistics (no traffic off this machine).
    client: { token: { hmac_secret_key: CENTRIFUGO_SECRET }, ping_interval: '30s' },
    http_api: { key: CENTRIFUGO_API_KEY },
    http_server: { address: '127.0.0.1', port: 8301 },
    health: { enabled: true },
    usage_stats: { disabled: true },
    log: { level: 'error' },
  };
  const file = `/tmp/${run}-centrifugo.json`;
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(join(root, '.stack/tools/bin/centrifugo'), ['--config', file], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitFor(() => ok('http://127.0.0.1:8301/health'), 30_000, 'centrifugo up');
  const key = new TextEncoder().encode(CENTRIFUGO_SECRET);
  // Connection JWTs with a server-side subscription to the patient's channel (JWT connect, as measured in the issue).
  const tokens = await Promise.all(Array.from({ length: P }, async (_, i) => {
    const id = `pt_load${String(i + 1).padStart(6, '0')}`;
    return { id, token: await new SignJWT({ sub: id, channels: [`p_${id}`] }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('2h').sign(key) };
  }));
  return { servers: [{ child, url: 'ws://127.0.0.1:8301/connection/websocket' }], tokens };
}

async function fanOutCareloop(tokens: Array<{ id: string }>): Promise<() => Promise<void>> {
  const deps = new Dependencies(cfg, createLogger({ level: 'silent' }));
  const [redis, keyring] = await Promise.all([deps.redis(), deps.keyring()]);
  const outbox = new Outbox(redis, cfg.redis.keyPrefix, 3600);
  const routes = new RouteTable(redis, cfg.redis.keyPrefix);
  const org = (JSON.parse(readFileSync(`/tmp/${run}-tokens.json`, 'utf8')) as { organizationId: string }).organizationId;
  log(`sealing one reply per patient (${tokens.length}) before the measured window`);
  const sealed = new Map<string, Sealed>();
  for (const t of tokens) sealed.set(t.id, await keyring.sealText(org, t.id, JSON.stringify({ text: 'Time for your evening dose.', quickReplies: ['Taken', 'Later'] })));
  let round = 0;
  return async () => {
    round += 1;
    // What delivery-ws does per reply: queue it in the patient's outbox, nudge the instances holding them.
    await Promise.all(tokens.map(async (t) => {
      await outbox.enqueue(t.id, { messageId: `${run}-${round}-${t.id}`, replyTo: null, organizationId: org, content: sealed.get(t.id) as Sealed });
      await Promise.all((await routes.instancesOf(t.id)).map((i) => routes.nudge(i, t.id)));
    }));
  };
}

function fanOutCentrifugo(tokens: Array<{ id: string }>): () => Promise<void> {
  return async () => {
    const res = await fetch('http://127.0.0.1:8301/api/broadcast', {
      method: 'POST', headers: { 'content-type': 'application/json', 'X-API-Key': CENTRIFUGO_API_KEY },
      body: JSON.stringify({ channels: tokens.map((t) => `p_${t.id}`), data: { text: 'Time for your evening dose.', quickReplies: ['Taken', 'Later'] } }),
    });
    if (!res.ok) throw new Error(`broadcast: HTTP ${res.status}`);
  };
}

async function main(): Promise<void> {
  const { servers, tokens } = target === 'careloop' ? await startCareloop() : await startCentrifugo();
  const clients: Array<{ child: ChildProcess; counts: Counts }> = [];
  try {
    await sleep(2000);
    const pids = servers.map((s) => s.child.pid as number);
    const rss = (): number => pids.reduce((n, p) => n + procSample(p).rssBytes, 0);
    const baseRss = rss();
    log(`${servers.length} server process(es) up, base RSS ${(baseRss / 1048576).toFixed(1)} MB`);
    // Each server holds its own patients (patient i on server i mod K), as a load balancer with
    // patient affinity would; a patient on several pods gets each reply on each (gateway-pods e2e).
    const tokenFiles = servers.map((_, k) => {
      const file = `/tmp/${run}-client-tokens-${k}.json`;
      writeFileSync(file, JSON.stringify(tokens.filter((_, i) => i % servers.length === k).map((t) => ({ token: t.token }))));
      return file;
    });
    // Whole clients per server, each under its file limit: server k gets N/K sessions.
    const perServer = Math.ceil(N / servers.length);
    const clientsPerServer = Math.ceil(perServer / PER_CLIENT);
    const nClients = clientsPerServer * servers.length;
    const started = Date.now();
    for (let c = 0; c < nClients; c += 1) {
      const count = Math.max(0, Math.min(Math.ceil(perServer / clientsPerServer), N - c * Math.ceil(perServer / clientsPerServer)));
      // Each client process talks to one server, so its sockets share a process as patients do.
      const server = servers[Math.floor(c / clientsPerServer)] as Server;
      const child = fork(join(root, 'dist/perf/gateway-scale/client.js'), ['--url', server.url, '--kind', target, '--connections', String(count), '--tokens', tokenFiles[Math.floor(c / clientsPerServer)] as string, '--offset', String((c % clientsPerServer) * Math.ceil(perServer / clientsPerServer)), '--address-base', String(2 + c)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      const entry = { child, counts: { opened: 0, failed: 0, received: 0 } };
      child.on('message', (m) => { entry.counts = m as Counts; });
      clients.push(entry);
    }
    const total = (): Counts => clients.reduce((a, c) => ({ opened: a.opened + c.counts.opened, failed: a.failed + c.counts.failed, received: a.received + c.counts.received }), { opened: 0, failed: 0, received: 0 });
    await waitFor(() => total().opened + total().failed >= N, 300_000, `${N} sessions`);
    const openS = (Date.now() - started) / 1000;
    log(`${total().opened} sessions open (${total().failed} failed) in ${openS.toFixed(1)} s; idling ${IDLE} s`);
    await sleep(5000);
    const cpuBefore = pids.reduce((n, p) => n + procSample(p).cpuSeconds, 0);
    await sleep(IDLE * 1000);
    const idleCpu = (pids.reduce((n, p) => n + procSample(p).cpuSeconds, 0) - cpuBefore) / IDLE;
    const heldRss = rss();
    const sessions = total().opened;
    const perSession = (heldRss - baseRss) / sessions;
    log(`held RSS ${(heldRss / 1048576).toFixed(1)} MB: ${(perSession / 1024).toFixed(2)} KB per session; idle CPU ${(idleCpu * 100).toFixed(1)} % of a core`);
    const publish = target === 'careloop' ? await fanOutCareloop(tokens) : fanOutCentrifugo(tokens);
    const receivedBefore = total().received;
    const cpuFanBefore = pids.map((p) => procSample(p).cpuSeconds);
    const fanStart = Date.now();
    for (let r = 0; r < ROUNDS; r += 1) await publish();
    const expected = receivedBefore + ROUNDS * sessions;
    await waitFor(() => total().received >= expected, 120_000, 'fan-out delivered').catch((err: Error) => log(err.message));
    const fanS = (Date.now() - fanStart) / 1000;
    const delivered = total().received - receivedBefore;
    const fanRate = delivered / fanS;
    // CPU per delivered message of each server process: far less sensitive to the machine's other load than the rate.
    const cpuMsPerMessage = pids.map((p, i) => ((procSample(p).cpuSeconds - (cpuFanBefore[i] ?? 0)) * 1000) / Math.max(1, delivered));
    log(`fan-out CPU per delivered message: ${cpuMsPerMessage.map((c) => c.toFixed(4)).join(' / ')} ms (per server process); load average ${loadavg()[0]?.toFixed(2)}`);
    log(`fan-out: ${delivered}/${ROUNDS * sessions} messages delivered in ${fanS.toFixed(2)} s = ${Math.round(fanRate)} msg/s`);
    const result = {
      target, run, sessions, failed: total().failed, processes: servers.length, patients: P, openSeconds: openS,
      baseRssMB: baseRss / 1048576, heldRssMB: heldRss / 1048576, rssPerSessionKB: perSession / 1024,
      sessionsPerGB: Math.round(2 ** 30 / perSession), idleCpuCores: idleCpu, fanOut: { rounds: ROUNDS, delivered, seconds: fanS, messagesPerSecond: Math.round(fanRate), cpuMsPerMessage },
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, loadAverage1m: loadavg()[0] }, at: new Date().toISOString(),
    };
    mkdirSync(join(root, 'perf/results'), { recursive: true });
    const out = join(root, 'perf/results', `gateway-scale-${target}-${run}.json`);
    writeFileSync(out, JSON.stringify(result, null, 2));
    log(`results in ${out}`);
  } finally {
    for (const c of clients) { c.child.send('stop'); }
    await sleep(1000);
    for (const c of clients) c.child.kill('SIGKILL');
    for (const s of servers) s.child.kill('SIGTERM');
  }
  process.exit(0);
}

await main();
