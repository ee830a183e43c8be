/*
 * Profile store at scale on the local Redis: N synthetic profiles (default 1,000,000) written through
 * the real writer, memory per profile measured (INFO used_memory delta and MEMORY USAGE of a sample),
 * then update throughput of the real write path (applyBatch: read, evolve, write) over random
 * patients. Prints JSON and writes perf/results/profiles.json. Cleans its keys up afterwards.
 *   node dist/perf/profiling/profiles.js [profiles=1000000] [updateSeconds=20] [batch=2000] [inFlight=4]
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { loadConfig } from '../../platform/config/config.js';
import { repoRoot } from '../../platform/paths.js';
import { encodeProfile } from '../../platform/profiles/codec.js';
import { emptyProfile, type ProfileFeatures } from '../../platform/profiles/features.js';
import { ProfileWriter } from '../../platform/profiles/writer.js';
import { seededRandom } from '../../platform/random/seeded.js';
import { connectRedis } from '../../platform/storage/redis.js';
import { applyBatch, type PatientEvent, type PatientLookups } from '../../profiling/apply.js';
import { evolve, type ProfileEvent } from '../../profiling/evolve.js';
import { syntheticPatient } from '../../profiling/synthetic.js';
import { handleHelp } from '../usage.js';

handleHelp(`Usage: node dist/perf/profiling/profiles.js [profiles] [updateSeconds] [batch] [inFlight]

Profile store at scale: writes N synthetic profiles (5,000 distinct seeded 60-day histories, reused
round-robin) to Redis through the real writer under a throw-away key prefix, measures memory per
profile (used_memory delta and MEMORY USAGE of 1,000 keys), then for updateSeconds the update rate
of the real write path (read with versions, evolve, compare-and-set) and the CPU per event of this
process and of Redis. Deletes its keys at the end.

  profiles        profiles to write (default 1000000)
  updateSeconds   seconds of updates (default 20)
  batch           events per batch (default 2000)
  inFlight        batches in flight at once, as partitions are (default 4)

Needs the local stack's Redis (bin/careloop stack up; CARELOOP_REDIS_URL points elsewhere).
Prints the figures as JSON and writes perf/results/profiles.json.
Exit status 0 when done; 1 on an error (e.g. Redis unreachable); 2 for a --flag (it takes none).`, { flags: [] });

const [count = 1_000_000, updateSeconds = 20, batch = 2000, inFlight = 4] = process.argv.slice(2).map(Number);
const TEMPLATES = 5000;
const START = Date.UTC(2026, 0, 5);
const cfg = loadConfig({ env: process.env, overrides: { 'log.level': 'warn' } });
const prefix = `${cfg.redis.keyPrefix}perfprof${randomUUID().slice(0, 8)}:`;
const redis = await connectRedis({ url: cfg.redis.url, name: 'perf-profiles' });
const writer = new ProfileWriter(redis, prefix);
const rand = seededRandom(13);

/** Redis's own CPU seconds (user + sys), to tell its cost apart from a busy machine's. */
async function redisCpu(): Promise<number> {
  const info = await redis.info('cpu');
  return Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0) + Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0);
}

async function usedMemory(): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

// Distinct 60-day histories, each with demographics and scores, reused round-robin (the encoding's size is what matters).
const templates: ProfileFeatures[] = Array.from({ length: TEMPLATES }, (_, i) => {
  const s = syntheticPatient(rand, `tpl${i}`, START, 60);
  const p = s.events.reduce((acc, e) => evolve(acc, e, 'America/New_York'), emptyProfile());
  p.demographics = { ageBand: '45-64', sex: i % 2 === 0 ? 'female' : 'male', zip3: String(100 + (i % 900)) };
  p.demographicsRead = true;
  p.scores = { segment: 1 + (i % 6), risk: (i % 256) / 255, riskLevel: 'medium', scoredDay: 20_500 };
  return p;
});
const sizes = templates.map((p) => encodeProfile(p).length).sort((a, b) => a - b);
const id = (i: number): string => `pt${String(i).padStart(7, '0')}`;

try {
  const before = await usedMemory();
  const writeStart = Date.now();
  for (let i = 0; i < count; i += 5000) {
    const chunk = new Map<string, ProfileFeatures>();
    for (let j = i; j < Math.min(count, i + 5000); j++) chunk.set(id(j), templates[j % TEMPLATES] as ProfileFeatures);
    await writer.saveMany(chunk);
  }
  const writeMs = Date.now() - writeStart;
  const after = await usedMemory();
  const sample = await Promise.all(Array.from({ length: 1000 }, (_, k) => redis.memoryUsage(`${prefix}profile:${id(Math.floor(k * (count / 1000)))}`)));
  const sampleMean = sample.reduce<number>((s, v) => s + (v ?? 0), 0) / sample.length;

  // Update throughput: batches of events over random patients, `inFlight` batches at once (as partitions are).
  const lookup: PatientLookups = {
    zones: (_org, ids) => Promise.resolve(new Map(ids.map((pid) => [pid, 'America/New_York']))),
    demographics: () => Promise.resolve({ ageBand: 'unknown', sex: 'unknown', zip3: '' }),
  };
  let events = 0;
  let seq = 0;
  const nextBatch = (): PatientEvent[] => Array.from({ length: batch }, () => {
    const patientId = id(Math.floor(rand() * count));
    const at = START + 61 * 86_400_000 + Math.floor(rand() * 86_400_000);
    const kinds: ProfileEvent[] = [
      { kind: 'inbound', id: `u${seq++}`, at, channel: 'SMS', language: 'en' },
      { kind: 'prompt', id: `u${seq++}`, at, channel: 'SMS' },
      { kind: 'adherence', id: `u${seq++}`, at, taken: rand() < 0.8 },
      { kind: 'read', id: `u${seq++}`, at, channel: 'WEB' },
    ];
    return { patientId, organizationId: 'org_perf', event: kinds[Math.floor(rand() * kinds.length)] as ProfileEvent };
  });
  const [cpuStart, redisCpuStart] = [process.cpuUsage(), await redisCpu()];
  const updateStart = Date.now();
  const deadline = updateStart + updateSeconds * 1000;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (Date.now() < deadline) {
      const b = nextBatch();
      await applyBatch(writer, lookup, b);
      events += b.length;
    }
  }));
  const updateMs = Date.now() - updateStart;
  const cpu = process.cpuUsage(cpuStart);
  const nodeCpuS = (cpu.user + cpu.system) / 1e6;
  const redisCpuS = (await redisCpu()) - redisCpuStart;

  const result = {
    measuredAt: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '' },
    data: 'synthetic profiles (60-day seeded histories, 5,000 distinct, reused round-robin)',
    profiles: count,
    encodedBytes: { min: sizes[0], p50: sizes[Math.floor(sizes.length / 2)], p99: sizes[Math.floor(sizes.length * 0.99)], max: sizes[sizes.length - 1] },
    redisBytesPerProfile: { usedMemoryDelta: Math.round((after - before) / count), memoryUsageSampleMean: Math.round(sampleMean) },
    writeAll: { ms: writeMs, perSecond: Math.round(count / (writeMs / 1000)) },
    updates: {
      events, ms: updateMs, perSecond: Math.round(events / (updateMs / 1000)), batch, inFlight,
      // CPU spent per event, whatever else the machine runs: events one core of each side sustains.
      nodeCpuSeconds: nodeCpuS, redisCpuSeconds: redisCpuS,
      eventsPerNodeCpuSecond: Math.round(events / nodeCpuS), eventsPerRedisCpuSecond: Math.round(events / redisCpuS),
    },
    loadAverage: loadavg().map((l) => Number(l.toFixed(1))),
  };
  console.log(JSON.stringify(result, null, 2));
  mkdirSync(join(repoRoot(), 'perf/results'), { recursive: true });
  writeFileSync(join(repoRoot(), 'perf/results/profiles.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 5000 }) as AsyncIterable<string | string[]>) {
    const list = Array.isArray(keys) ? keys : [keys];
    if (list.length > 0) await redis.unlink(list);
  }
  await redis.quit();
}
