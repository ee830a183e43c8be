/*
 * Outbound SMS throughput: N texts on chat.outbound, sent by one delivery-sms process (its own
 * process, the real twilio client) through the local Twilio stand-in, from a pool of long codes
 * held to their per-sender rate. Prints and writes (perf/results/) the rate from first to last
 * text received, per sender the most texts in any 1-second window and the smallest gap, and the
 * CPU milliseconds per text of the worker(s), the stand-in (this process) and the Redis server.
 *   node dist/perf/sms/run.js [count=20000] [senders=1500] [workers=1]
 * workers > 1 starts that many delivery-sms processes, sharing the queue and the sender slots.
 * The texts go to not-yet-verified numbers (the destination sealed in the record, as verification
 * prompts are), so the figure is the SMS edge itself: queue, sender slots, twilio client, stand-in;
 * not the audited vault read a patient's text adds (see docs/sms.md).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { OutboundMessage } from '../../schemas/generated/avro-types.js';
import { loadConfig } from '../../platform/config/config.js';
import { applyTopics } from '../../platform/kafka/admin.js';
import { allTopics } from '../../platform/kafka/topics.js';
import { createLogger } from '../../platform/log.js';
import { repoRoot } from '../../platform/paths.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import { migratePostgres } from '../../platform/storage/postgres.js';
import { freePort } from '../../test/product.js';
import { fakeSid, TwilioStandIn } from '../../test/twilio-standin.js';
import { handleHelp } from '../usage.js';

handleHelp(`Usage: node dist/perf/sms/run.js [count] [senders] [workers]

Outbound SMS throughput: queues N texts on chat.outbound (throw-away topic and Redis prefixes, an
organisation of its own), starts delivery-sms in its own process(es) with the real twilio client
pointed at the local Twilio stand-in in this process, and waits (at most 3 minutes) for the texts:
rate first to last text and over the middle 80 %, texts lost or doubled, per sender the most texts
in one second and the smallest gap, CPU ms per text of the workers, the stand-in and Redis.

  count     texts (default 20000)
  senders   long codes in the pool (default 1500)
  workers   delivery-sms processes sharing the queue and the sender slots (default 1)

  PERF_SMS_PROFILE=DIR         the worker's CPU profile into DIR (read it with cpuprofile-top.js)
  PERF_SMS_LOG=1               print the end of each worker's output
  CARELOOP_SMS_CLAIM_BATCH=N   passed on to the workers

Needs the local stack (PostgreSQL, Redis, Kafka, the schema registry: bin/careloop stack up), the
compiled dist/ and Twilio's OpenAPI description in ../shared/reference/twilio/. On a shared machine
take turns: flock <lock file> node dist/perf/sms/run.js ….
Prints one JSON line and writes perf/results/sms-<time>.json.
Exit status 0 when done; 1 on an error; 2 for a --flag (it takes none).`, { flags: [] });

const [count = 20_000, senderCount = 1500, workerCount = 1] = process.argv.slice(2).map(Number);
const prefix = `perfsms${randomUUID().slice(0, 8)}.`;
const redisPrefix = `perfsms${randomUUID().slice(0, 8)}:`;
const token = randomUUID().replace(/-/g, '');
const cfg = loadConfig({ env: process.env, overrides: { 'kafka.topicPrefix': prefix, 'redis.keyPrefix': redisPrefix, 'log.level': 'warn' } });
const deps = new Dependencies(cfg, createLogger({ level: 'warn' }));
const pool = await deps.postgres();
await migratePostgres(pool, join(repoRoot(), 'platform/storage/migrations/postgres'));
const topics = allTopics().filter((t) => ['chat.outbound', 'delivery.status', 'patient.actions', 'dlq.delivery-sms'].includes(t.name));
await applyTopics({ brokers: cfg.kafka.brokers, ssl: cfg.kafka.ssl, prefix, partitionScale: 1, replicationFactor: 1, topics });
await (await deps.catalogue()).registerTopics(topics);

const org = `org_perfsms_${randomUUID().slice(0, 8)}`;
const accountSid = fakeSid('AC');
const senders = Array.from({ length: senderCount }, (_, i) => `+1${String(2_000_000_000 + i)}`);
await pool.query(`INSERT INTO organizations (id, slug, display_name) VALUES ($1, $1, 'Perf Clinic')`, [org]);
await pool.query(`INSERT INTO sms_accounts (organization_id, account_sid, auth_token_ref, senders) VALUES ($1, $2, 'env:TWILIO_AUTH_TOKEN_PERF', $3)`,
  [org, accountSid, JSON.stringify(senders.map((number) => ({ number, kind: 'long_code' })))]);

const standIn = new TwilioStandIn({ authToken: token });
const api = await standIn.start();
let workers: Worker[] = [];

/** delivery-sms in its own process, as deployed; node flags (a CPU profile) optional. */
interface Worker { output: string; cpuSeconds(): number; stop(): Promise<void> }

/** CPU time (user + system) a process has used so far, from /proc (Linux clock ticks, 100 a second). */
function procCpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid ?? 0}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch { return NaN; }
}
/** Redis server CPU (user + system) so far, from INFO. */
async function redisCpuSeconds(): Promise<number> {
  const info = await (await deps.redis()).info('cpu');
  const field = (name: string): number => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}
const ms = (cpuSeconds: number): number => Number(((cpuSeconds * 1000) / Math.max(1, standIn.received.length)).toFixed(3));
async function startWorker(env: NodeJS.ProcessEnv, nodeArgs: string[]): Promise<Worker> {
  const child = spawn(process.execPath, [...nodeArgs, join(repoRoot(), 'dist/cli/main.js'), 'run', 'delivery-sms'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const w = { output: '', cpuSeconds: () => procCpuSeconds(child.pid), async stop() { if (child.exitCode === null) { const exited = new Promise((r) => child.once('exit', r)); child.kill('SIGTERM'); await exited; } } };
  child.stdout.on('data', (b: Buffer) => { w.output += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { w.output += b.toString(); });
  const deadline = Date.now() + 60_000;
  while (!w.output.includes('Ctrl-C stops the services')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`delivery-sms did not start:\n${w.output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return w;
}
try {
  const keyring = await deps.keyring();
  const publisher = await deps.publisher();
  const createdAt = Date.now();
  for (let from = 0; from < count; from += 2000) {
    const batch = await Promise.all(Array.from({ length: Math.min(2000, count - from) }, async (_, j) => {
      const i = from + j;
      const patientId = `smsc_perf${i}`;
      const m: OutboundMessage = {
        messageId: randomUUID(), traceId: randomUUID(), organizationId: org, patientId, channel: 'SMS', kind: 'SYSTEM', replyTo: null, createdAt,
        workflowId: null, workflowVersion: null, templateId: 'perf', variantId: null, propensity: null,
        content: await keyring.sealText(org, patientId, JSON.stringify({ text: `Perf Clinic: your code is ${String(i).padStart(6, '0')}.`, quickReplies: [], to: `+1${String(3_000_000_000 + i)}` })),
      };
      return { key: patientId, value: m };
    }));
    await publisher.publish('chat.outbound', batch);
  }
  console.log(`# ${count} texts queued on chat.outbound; starting ${workerCount} delivery-sms process(es) with ${senderCount} long codes`);
  // PERF_SMS_PROFILE=dir writes the worker's CPU profile there (read it with perf/cpuprofile-top.ts).
  const profile = process.env['PERF_SMS_PROFILE'];
  const env = {
    ...process.env, TWILIO_AUTH_TOKEN_PERF: token, CARELOOP_KAFKA_TOPIC_PREFIX: prefix, CARELOOP_REDIS_KEY_PREFIX: redisPrefix,
    CARELOOP_SMS_API_BASE_URL: api, CARELOOP_LOG_LEVEL: 'warn',
    ...(process.env['CARELOOP_SMS_CLAIM_BATCH'] === undefined ? {} : { CARELOOP_SMS_CLAIM_BATCH: process.env['CARELOOP_SMS_CLAIM_BATCH'] }),
  };
  workers = await Promise.all(Array.from({ length: workerCount }, async () => startWorker({ ...env, CARELOOP_SERVICES_OPS_PORT: String(await freePort()) }, profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`])));
  const cpuAtStart = workers.reduce((n, w) => n + w.cpuSeconds(), 0);
  // This process is the stand-in once the texts are queued; Redis is shared with other users, so its figure is an upper bound.
  const standInCpuAtStart = process.cpuUsage();
  const redisCpuAtStart = await redisCpuSeconds();
  const loadAtStart = loadavg()[0];
  const deadline = Date.now() + 180_000;
  while (standIn.received.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const workerCpu = workers.reduce((n, w) => n + w.cpuSeconds(), 0) - cpuAtStart;
  const standInUsage = process.cpuUsage(standInCpuAtStart);
  const standInCpu = (standInUsage.user + standInUsage.system) / 1e6;
  const redisCpu = (await redisCpuSeconds()) - redisCpuAtStart;
  const got = standIn.received;
  const first = got[0]?.at ?? 0;
  const last = got[got.length - 1]?.at ?? 0;
  // Steady state: the middle 80 % of texts, without the start-up ramp and the tail.
  const mid = got.slice(Math.floor(got.length * 0.1), Math.floor(got.length * 0.9));
  const midRate = mid.length > 1 ? (mid.length - 1) / (((mid[mid.length - 1]?.at ?? 0) - (mid[0]?.at ?? 0)) / 1000) : 0;
  const bySender = new Map<string, number[]>();
  for (const m of got) bySender.set(m.from ?? '', [...(bySender.get(m.from ?? '') ?? []), m.at]);
  let minGapMs = Infinity;
  let maxInOneSecond = 0;
  let gapsUnderLimit = 0;
  for (const times of bySender.values()) {
    times.sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++) {
      const gap = (times[i] as number) - (times[i - 1] as number);
      minGapMs = Math.min(minGapMs, gap);
      if (gap < 1000 / cfg.sms.longCodeRate) gapsUnderLimit++;
    }
    for (let i = 0, j = 0; i < times.length; i++) {
      while ((times[i] as number) - (times[j] as number) >= 1000) j++;
      maxInOneSecond = Math.max(maxInOneSecond, i - j + 1);
    }
  }
  const result = {
    at: new Date().toISOString(), loadAverageAtStart: loadAtStart, loadAverage: loadavg()[0], cpus: cpus().length, workers: workerCount, count, received: got.length, distinct: new Set(got.map((m) => m.to)).size, senders: senderCount, sendersUsed: bySender.size,
    seconds: Number(((last - first) / 1000).toFixed(2)), perSecond: Math.round((got.length - 1) / ((last - first) / 1000)), steadyPerSecond: Math.round(midRate),
    perSender: { maxInAnyOneSecond: maxInOneSecond, minGapMs: Number(minGapMs.toFixed(1)), gapsUnderLimit, gaps: got.length - bySender.size, limitPerSecond: cfg.sms.longCodeRate },
    violations: standIn.violations.length,
    // What the machine gave the workers: texts per second of their CPU time is the figure a free core would show.
    workerCpuSeconds: Number(workerCpu.toFixed(2)), textsPerWorkerCpuSecond: Math.round(got.length / workerCpu),
    cpuMsPerText: { workers: ms(workerCpu), standIn: ms(standInCpu), redisServer: ms(redisCpu) },
  };
  console.log(JSON.stringify(result));
  if (process.env['PERF_SMS_LOG'] === '1') for (const w of workers) console.log(w.output.slice(-4000));
  const dir = join(repoRoot(), 'perf/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `sms-${result.at.replace(/[:.]/g, '-')}.json`), JSON.stringify(result, null, 2) + '\n');
} finally {
  await Promise.all(workers.map((w) => w.stop()));
  await standIn.stop();
  await pool.query('DELETE FROM sms_accounts WHERE organization_id = $1', [org]);
  const redis = await deps.redis();
  for await (const keys of redis.scanIterator({ MATCH: `${redisPrefix}*`, COUNT: 1000 })) if (keys.length > 0) await redis.del(keys);
  const kafka = (await import('kafkajs')).default;
  const admin = new kafka.Kafka({ clientId: 'perf-cleanup', brokers: [...cfg.kafka.brokers], logLevel: kafka.logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: topics.map((t) => prefix + t.name) }).catch(() => undefined);
  await admin.disconnect();
  await deps.close();
}
