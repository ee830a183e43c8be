/**
 * The fault rows: steady open-loop chat load through the real product while one kind of fault is
 * injected per row (kill -9 of a service and its restart, or a dependency stopped and started), then
 * the figures of every row from the ledger. Used by perf/faults/run.ts and test/faults.e2e.test.ts.
 */
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { PatientPool, type Patient } from './clients.js';
import { SERVICES, type Deployment, type ServiceName } from './deployment.js';
import { Ledger, rowFigures, type Row, type RowFigures } from './ledger.js';
import type { DependencyName, PrivateStack } from './private-stack.js';

export type FaultKind = { kind: 'none' } | { kind: 'kill'; service: ServiceName } | { kind: 'outage'; dependency: DependencyName; outageMs: number };

const OUTAGE_NAMES = { redis: 'Redis', postgres: 'PostgreSQL', clickhouse: 'ClickHouse' } as const;

export interface RowPlan { name: string; fault: FaultKind; count: number }

export interface SuitePlan {
  rate: number;
  /** Longest pause between two faults of a row; each is drawn in [gap/3, gap]. */
  gapMs: number;
  baselineMs: number;
  /** Wait after a row for its messages' replies before the next row starts. */
  settleMs: number;
  drainMs: number;
  /** Load before the baseline row, in no row (cold caches). */
  warmupMs: number;
  seed: number;
  rows: RowPlan[];
}

export interface SuiteOutcome {
  rows: RowFigures[]; events: string[]; reconnects: number; unansweredAtEnd: number;
  /** Every message and reply, and each row's span (baseline first), for figures read afterwards (adherence rows in PostgreSQL). */
  ledger: Ledger; spans: Row[];
}

/** Parses "intent,dialogue,gateway,kafka,redis,postgres,clickhouse" (or "all") into row plans. */
export function rowPlans(spec: string, kills: number, outageMs: number, kafkaOutageMs = 0): RowPlan[] {
  const names = spec === 'all' ? [...SERVICES, 'kafka', 'redis', 'postgres', 'clickhouse'] : spec.split(',').filter((s) => s !== '');
  return names.map((n): RowPlan => {
    if ((SERVICES as readonly string[]).includes(n)) return { name: `kill -9 ${n}`, fault: { kind: 'kill', service: n as ServiceName }, count: kills };
    if (n === 'kafka') return { name: kafkaOutageMs === 0 ? 'Kafka broker kill -9 + restart' : `Kafka broker kill -9, down ${Math.round(kafkaOutageMs / 1000)} s`, fault: { kind: 'outage', dependency: 'kafka', outageMs: kafkaOutageMs }, count: 1 };
    if (n === 'redis' || n === 'postgres' || n === 'clickhouse') return { name: `${OUTAGE_NAMES[n]} down ${Math.round(outageMs / 1000)} s`, fault: { kind: 'outage', dependency: n, outageMs }, count: 1 };
    throw new Error(`unknown fault row "${n}" (services: ${SERVICES.join(', ')}; dependencies: kafka, redis, postgres, clickhouse)`);
  });
}

export async function runSuite(plan: SuitePlan, dep: Deployment, patients: readonly Patient[], stack: PrivateStack | null, say: (m: string) => void): Promise<SuiteOutcome> {
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  const ledger = new Ledger();
  const pool = new PatientPool(dep.gatewayUrl, patients, ledger, t0);
  const events: string[] = [];
  const note = (m: string): void => { const line = `[${(now() / 1000).toFixed(1)}s] ${m}`; events.push(line); say(line); };
  await pool.connect();
  pool.start(plan.rate, plan.seed);
  await sleep(plan.warmupMs);
  const rows: Row[] = [];
  try {
    const base: Row = { name: 'baseline (no fault)', from: now(), to: 0, faultsAt: [] };
    await sleep(plan.baselineMs);
    base.to = now();
    rows.push(base);
    for (const rp of plan.rows) {
      const row: Row = { name: rp.name, from: now(), to: 0, faultsAt: [] };
      for (let i = 0; i < rp.count; i++) {
        await sleep(randomInt(Math.floor(plan.gapMs / 3), plan.gapMs + 1));
        row.faultsAt.push(now());
        await inject(rp.fault, dep, stack, note);
      }
      await sleep(plan.gapMs);
      row.to = now();
      rows.push(row);
      await settle(ledger, row, plan.settleMs);
      note(`${rp.name}: done; unanswered so far ${ledger.unanswered()}`);
    }
  } finally {
    await pool.stop();
  }
  const drainStart = Date.now();
  while (ledger.unanswered() > 0 && Date.now() - drainStart < plan.drainMs) await sleep(250);
  const unansweredAtEnd = ledger.unanswered();
  pool.close();
  const baseline = rowFigures(ledger, rows[0] as Row, null, Infinity);
  const slowMs = Math.max(1_000, 3 * (baseline.reply?.p99 ?? 0));
  return { rows: rows.map((r, i) => (i === 0 ? baseline : rowFigures(ledger, r, baseline.reply?.p99 ?? null, slowMs))), events, reconnects: pool.reconnects(), unansweredAtEnd, ledger, spans: rows };
}

async function inject(fault: FaultKind, dep: Deployment, stack: PrivateStack | null, note: (m: string) => void): Promise<void> {
  switch (fault.kind) {
    case 'none': return;
    case 'kill': {
      const ms = await dep.killAndRestart(fault.service);
      note(`kill -9 ${fault.service}; restarted, ready (partitions assigned) in ${ms} ms`);
      return;
    }
    case 'outage': {
      if (stack === null) throw new Error(`a ${fault.dependency} outage needs the private stack (--private-stack)`);
      await stack.kill(fault.dependency);
      note(`${fault.dependency} killed`);
      await sleep(fault.outageMs);
      const ms = await stack.start(fault.dependency);
      note(`${fault.dependency} started again, healthy in ${ms} ms`);
      return;
    }
  }
}

async function settle(ledger: Ledger, row: Row, ms: number): Promise<void> {
  const until = Date.now() + ms;
  const waiting = (): boolean => [...ledger.messages.values()].some((m) => m.scheduledAt >= row.from && m.scheduledAt < row.to && m.replies.length === 0);
  while (Date.now() < until && waiting()) await sleep(250);
}
