/**
 * The soak: steady load and no faults for N minutes; every interval it samples RSS per process,
 * Redis memory, Kafka lag of the product's groups and the reply p99 of the messages due in the
 * interval. The verdict compares the first samples after warm-up with the last ones.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { summarize } from '../chat-load/stats.js';
import { PatientPool, type Patient } from './clients.js';
import { SERVICES, type Deployment } from './deployment.js';
import { Ledger, replyLatency } from './ledger.js';

export interface SoakSample {
  minute: number;
  rssMB: Record<string, number>;
  /** V8 heap in use per process, MB (what a leak of JavaScript objects grows). */
  heapMB?: Record<string, number>;
  /** Memory outside the V8 heap per process (Buffers, native), MB. */
  externalMB?: Record<string, number>;
  redisUsedMB: number;
  kafkaLag: number;
  replyP99Ms: number | null;
  replies: number;
}

export interface SoakVerdict {
  /** Per process: RSS growth from the first samples after warm-up to the last ones, percent. */
  rssGrowthPct: Record<string, number>;
  p99DriftPct: number | null;
  passed: boolean;
  why: string[];
}

const median = (xs: readonly number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] ?? Number.NaN; };

/** Pure: samples after `warmup` of them; the median of the first three against the last three. */
export function soakVerdict(samples: readonly SoakSample[], warmup: number, maxRssGrowthPct = 10, maxP99DriftPct = 25): SoakVerdict {
  const after = samples.slice(warmup);
  const why: string[] = [];
  if (after.length < 2) return { rssGrowthPct: {}, p99DriftPct: null, passed: false, why: ['too few samples after warm-up'] };
  const k = Math.min(3, Math.floor(after.length / 2));
  const first = after.slice(0, k);
  const last = after.slice(-k);
  const rssGrowthPct: Record<string, number> = {};
  for (const s of Object.keys(after[0]?.rssMB ?? {})) {
    const a = median(first.map((x) => x.rssMB[s] ?? Number.NaN));
    const b = median(last.map((x) => x.rssMB[s] ?? Number.NaN));
    rssGrowthPct[s] = Math.round(((b - a) / a) * 1000) / 10;
    if (!(rssGrowthPct[s] < maxRssGrowthPct)) why.push(`${s} RSS grew ${rssGrowthPct[s]} % (${a} → ${b} MB)`);
  }
  const p1 = median(first.map((x) => x.replyP99Ms ?? Number.NaN));
  const p2 = median(last.map((x) => x.replyP99Ms ?? Number.NaN));
  const p99DriftPct = Number.isFinite(p1) && Number.isFinite(p2) ? Math.round(((p2 - p1) / p1) * 1000) / 10 : null;
  if (p99DriftPct === null || !(p99DriftPct < maxP99DriftPct)) why.push(`reply p99 drifted ${p99DriftPct ?? '?'} % (${p1} → ${p2} ms)`);
  return { rssGrowthPct, p99DriftPct, passed: why.length === 0, why };
}

export interface SoakProbes {
  redisUsedBytes(): Promise<number>;
  kafkaLag(): Promise<number>;
  /** Called once after sample `warmup` and once after the last: heap snapshots, when asked for. */
  marker?(label: 'after-warmup' | 'end'): Promise<void>;
  warmup?: number;
}

/** Lag summed over every partition of the product's consumer groups. */
export async function kafkaLagProbe(brokers: readonly string[], prefix: string, groups: readonly { id: string; topics: readonly string[] }[]): Promise<() => Promise<number>> {
  const admin = new kafkajs.Kafka({ clientId: 'careloop-soak', brokers: [...brokers], logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  return async () => {
    let lag = 0;
    for (const g of groups) {
      const topics = g.topics.map((t) => prefix + t);
      const committed = await admin.fetchOffsets({ groupId: prefix + g.id, topics });
      for (const t of committed) {
        const ends = new Map((await admin.fetchTopicOffsets(t.topic)).map((o) => [o.partition, Number(o.high)]));
        for (const p of t.partitions) lag += Math.max(0, (ends.get(p.partition) ?? 0) - Math.max(0, Number(p.offset)));
      }
    }
    return lag;
  };
}

export async function runSoak(minutes: number, intervalMs: number, rate: number, seed: number, dep: Deployment, patients: readonly Patient[], probes: SoakProbes, say: (m: string) => void): Promise<SoakSample[]> {
  const t0 = performance.now();
  const ledger = new Ledger();
  const pool = new PatientPool(dep.gatewayUrl, patients, ledger, t0);
  await pool.connect();
  pool.start(rate, seed);
  const samples: SoakSample[] = [];
  const intervals = Math.max(1, Math.round((minutes * 60_000) / intervalMs));
  try {
    for (let i = 1; i <= intervals; i++) {
      await sleep(t0 + i * intervalMs - performance.now());
      const from = (i - 1) * intervalMs;
      const to = i * intervalMs - 10_000; // the last 10 s may still be on their way
      const lat = [...ledger.messages.values()].filter((m) => m.scheduledAt >= from && m.scheduledAt < to).map(replyLatency).filter((l): l is number => l !== null);
      const rssMB: Record<string, number> = {};
      const heapMB: Record<string, number> = {};
      const externalMB: Record<string, number> = {};
      const mb = (b: number): number => Math.round(b / 104857.6) / 10;
      for (const s of SERVICES) {
        rssMB[s] = Math.round((dep.sample(s)?.rssBytes ?? 0) / 1048576);
        const h = await dep.heap(s);
        if (h !== null) { heapMB[s] = mb(h.heapUsedBytes); externalMB[s] = mb(h.externalBytes); }
      }
      const sample: SoakSample = { minute: Math.round((i * intervalMs) / 600) / 100, rssMB, heapMB, externalMB, redisUsedMB: Math.round((await probes.redisUsedBytes()) / 104857.6) / 10, kafkaLag: await probes.kafkaLag(), replyP99Ms: summarize(lat)?.p99 ?? null, replies: lat.length };
      samples.push(sample);
      say(`soak ${sample.minute} min: p99 ${sample.replyP99Ms?.toFixed(0) ?? '-'} ms over ${sample.replies} replies; lag ${sample.kafkaLag}; Redis ${sample.redisUsedMB} MB; RSS ${Object.entries(rssMB).map(([k, v]) => `${k} ${v}`).join(', ')} MB; heap ${Object.entries(heapMB).map(([k, v]) => `${k} ${v}`).join(', ')} MB`);
      if (i === probes.warmup) await probes.marker?.('after-warmup');
    }
    await probes.marker?.('end');
  } finally {
    await pool.stop();
    pool.close();
  }
  return samples;
}

/** Per sample: RSS of each process, with its V8 heap in use after the slash (MB). */
export function soakTable(samples: readonly SoakSample[]): string {
  const head = `| minute | reply p99 (ms) | replies | Kafka lag | Redis MB | ${SERVICES.map((s) => `${s} RSS / heap MB`).join(' | ')} |`;
  const lines = samples.map((x) => `| ${x.minute} | ${x.replyP99Ms?.toFixed(0) ?? '-'} | ${x.replies} | ${x.kafkaLag} | ${x.redisUsedMB} | ${SERVICES.map((s) => `${x.rssMB[s] ?? '-'} / ${x.heapMB?.[s] ?? '-'}`).join(' | ')} |`);
  return [head, `|${'---|'.repeat(5 + SERVICES.length)}`, ...lines].join('\n');
}
