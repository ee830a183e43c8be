/** The fault suite's command line, compiled once: validated, in milliseconds, frozen. */
import { parseArgs } from 'node:util';

export interface FaultOptions {
  rate: number;
  patients: number;
  kills: number;
  gapMs: number;
  warmupMs: number;
  baselineMs: number;
  settleMs: number;
  drainMs: number;
  outageMs: number;
  /** How long the broker of the Kafka row stays down after its kill -9 before it is started again. */
  kafkaOutageMs: number;
  rows: string;
  driver: 'kafkajs' | 'rdkafka';
  /** consumer.sessionTimeout of the product's processes, e.g. "10s"; empty: the product's default. */
  sessionTimeout: string;
  /** Soak minutes; 0 runs the fault rows instead. */
  soakMinutes: number;
  intervalMs: number;
  /** Soak warm-up, ms: samples before it are not judged (capped at a third of the soak). */
  soakWarmupMs: number;
  /** Soak: heap snapshot of every process after warm-up and at the end (--heapsnapshot-signal). */
  heapSnapshots: boolean;
  seed: number;
  out: string | null;
}

export const USAGE = `Usage: node dist/perf/faults/run.js [options]

Runs every product service as its own process under a fresh topic and key prefix, drives open-loop
chat load from reconnecting patients, and injects faults row by row; prints per row: sent, replied,
lost, visible duplicates, redelivered ids, out of order, reply latency, extra p99, time to recover.
With --minutes N it soaks instead: no faults, RSS per process, Redis memory, Kafka lag and reply p99
sampled every --interval seconds; fails on RSS growth >= 10 % or p99 drift >= 25 % after warm-up.

  --rows LIST        all, or comma-separated: intent,dialogue,actions,delivery-ws,scheduler,
                     analytics-sink,gateway,kafka,redis,postgres,clickhouse (default all)
  --rate R           messages per second (default 50)        --patients N   sockets, one patient each (200)
  --kills N          kill -9's per service row (default 3)   --gap S        most seconds between two faults (8)
  --outage S         seconds Redis / PostgreSQL / ClickHouse stay down (60) --warmup S / --baseline S   (5 / 20)
  --kafka-outage S   seconds the killed Kafka broker stays down before its restart (0)
  --settle S         wait for a row's replies before the next (30) --drain S  wait at the end (60)
  --driver D         kafkajs | rdkafka (default kafkajs)     --session-timeout D  e.g. 10s (product default)
  --minutes N        soak for N minutes                      --interval S   soak sample interval (60)
  --soak-warmup M    soak minutes not judged (5; at most a third of the soak)
  --heap-snapshots   soak: a heap snapshot of every process after warm-up and at the end (in the logs dir;
                     compare them with node dist/perf/faults/heap-diff.js A B)
  --seed N           message mix seed (1)                    --out FILE     JSON result (perf/results/…)
Kafka, Redis, PostgreSQL and ClickHouse rows run against private instances on ports 29092-29097;
the soak against a private Redis (port 29094), so its memory is this run's alone.
Exit status 0 when every row is clean (0 lost, 0 visible duplicates, 0 out of order) or the soak passes; 1 otherwise.`;

export function parseFaultOptions(argv: readonly string[]): FaultOptions | 'help' {
  const { values } = parseArgs({ args: [...argv], strict: true, options: {
    rows: { type: 'string' }, rate: { type: 'string' }, patients: { type: 'string' }, kills: { type: 'string' }, gap: { type: 'string' },
    outage: { type: 'string' }, 'kafka-outage': { type: 'string' }, warmup: { type: 'string' }, baseline: { type: 'string' }, settle: { type: 'string' }, drain: { type: 'string' },
    driver: { type: 'string' }, 'session-timeout': { type: 'string' }, minutes: { type: 'string' }, interval: { type: 'string' },
    'soak-warmup': { type: 'string' }, 'heap-snapshots': { type: 'boolean' },
    seed: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  } });
  if (values.help === true) return 'help';
  const num = (name: string, v: string | undefined, dflt: number, min: number, max: number): number => {
    const n = v === undefined ? dflt : Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max}, not "${v}"`);
    return n;
  };
  const driver = values.driver ?? 'kafkajs';
  if (driver !== 'kafkajs' && driver !== 'rdkafka') throw new Error(`--driver must be kafkajs or rdkafka, not "${driver}"`);
  return Object.freeze({
    rate: num('rate', values.rate, 50, 1, 5000), patients: num('patients', values.patients, 200, 1, 5000),
    kills: num('kills', values.kills, 3, 1, 50), gapMs: num('gap', values.gap, 8, 1, 600) * 1000,
    outageMs: num('outage', values.outage, 60, 0, 600) * 1000, kafkaOutageMs: num('kafka-outage', values['kafka-outage'], 0, 0, 600) * 1000, warmupMs: num('warmup', values.warmup, 5, 0, 600) * 1000,
    baselineMs: num('baseline', values.baseline, 20, 1, 3600) * 1000, settleMs: num('settle', values.settle, 30, 0, 600) * 1000,
    drainMs: num('drain', values.drain, 60, 0, 600) * 1000, rows: values.rows ?? 'all', driver,
    sessionTimeout: values['session-timeout'] ?? '', soakMinutes: num('minutes', values.minutes, 0, 0, 24 * 60),
    intervalMs: num('interval', values.interval, 60, 5, 3600) * 1000,
    soakWarmupMs: num('soak-warmup', values['soak-warmup'], 5, 0, 600) * 60_000, heapSnapshots: values['heap-snapshots'] === true, seed: num('seed', values.seed, 1, 0, 2 ** 31), out: values.out ?? null,
  });
}
