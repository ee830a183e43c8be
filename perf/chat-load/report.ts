import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import type { HarnessOptions } from './options.js';
import type { RunOutcome } from './run.js';
import { round, summarize, type LatencySummary } from './stats.js';

export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  totalMemoryGiB: number;
  os: string;
  node: string;
  /** 1-minute load average when the result was written: other work on the machine skews the figures. */
  loadAverage1m: number;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cpuCount: list.length,
    totalMemoryGiB: round(totalmem() / 1024 ** 3),
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    loadAverage1m: round(loadavg()[0] ?? 0),
  };
}

export interface RunResults {
  connected: number;
  connectFailures: Record<string, number>;
  closedEarly: Record<string, number>;
  windowS: number;
  drainedS: number;
  sent: number;
  sentIncludingWarmup: number;
  achievedRate: number | null;
  replyRateInWindow: number | null;
  acked: number;
  replied: number;
  ackLatencyMs: LatencySummary | null;
  replyLatencyMs: LatencySummary | null;
  sendLagMs: LatencySummary | null;
  errors: Record<string, number>;
  lostAcks: number;
  lostReplies: number;
  lostRepliesByCategory: Record<string, number>;
  extraReplies: number;
  duplicateMessages: number;
  otherMessages: number;
  unexpectedAcks: number;
  badFrames: number;
  mix: Record<string, number>;
  /**
   * CPU milliseconds per message sent in the measuring window, of the whole machine (every process:
   * the product, Kafka, the registry, PostgreSQL, Redis, ClickHouse, the harness) and without the
   * harness's own; the figure that carries across machines. Null off Linux.
   */
  cpuMsPerMessage: { machine: number; withoutHarness: number } | null;
}

export interface RunConfig {
  url: string;
  connections: number;
  patients: number;
  patientsLeftOut: LeftOut[];
  targetRate: number;
  durationS: number;
  warmupS: number;
  drainS: number;
  seed: number;
}

export interface ResultDocument {
  tool: 'careloop-chat-load';
  version: 1;
  label: string | null;
  startedAt: string;
  config: RunConfig;
  machine: MachineInfo;
  notes: string[];
  results: RunResults;
}

/** The JSON written to --out: config, machine and every figure the text report shows. */
/** A patient the probe kept out of the run, and why ("no reply to the probe", "HTTP 401"). */
export interface LeftOut { id: string; why: string }

export function buildResult(opts: HarnessOptions, url: string, patients: number, leftOut: readonly LeftOut[], startedAt: Date, outcome: RunOutcome): ResultDocument {
  const m = outcome.metrics;
  const windowS = outcome.windowMs / 1000;
  const notes: string[] = [];
  if (leftOut.length > 0) {
    const shown = leftOut.slice(0, 5).map((p) => `${p.id} (${p.why})`).join(', ');
    notes.push(`left out after the probe: ${leftOut.length} patients, e.g. ${shown}${leftOut.length > 5 ? ', …' : ''}`);
  }
  if (opts.connections > patients) {
    notes.push(`${opts.connections} connections share ${patients} demo patients round-robin; each connection also receives the replies to its patient's other connections (counted as otherMessages, not as its replies)`);
  }
  return {
    tool: 'careloop-chat-load',
    version: 1,
    label: opts.label,
    startedAt: startedAt.toISOString(),
    config: {
      url, connections: opts.connections, patients: Math.min(patients, opts.connections),
      patientsLeftOut: [...leftOut], targetRate: opts.rate,
      durationS: opts.durationMs / 1000, warmupS: opts.warmupMs / 1000, drainS: opts.drainMs / 1000, seed: opts.seed,
    },
    machine: machineInfo(),
    notes,
    results: {
      connected: outcome.connected,
      connectFailures: outcome.connectFailures,
      closedEarly: outcome.closedEarly,
      windowS: round(windowS),
      drainedS: round(outcome.drainedMs / 1000),
      sent: m.sentMeasured,
      sentIncludingWarmup: m.sentTotal,
      achievedRate: windowS > 0 ? round(m.sentMeasured / windowS) : null,
      replyRateInWindow: windowS > 0 ? round(m.repliesInWindow / windowS) : null,
      acked: m.ackedMeasured,
      replied: m.repliedMeasured,
      ackLatencyMs: summarize(m.ackMs),
      replyLatencyMs: summarize(m.replyMs),
      sendLagMs: outcome.sendLag,
      errors: Object.fromEntries([...m.errors].sort((a, b) => b[1] - a[1])),
      lostAcks: outcome.lost.acks,
      lostReplies: outcome.lost.replies,
      lostRepliesByCategory: outcome.lost.repliesByCategory,
      extraReplies: m.extraReplies,
      duplicateMessages: m.duplicateMessages,
      otherMessages: m.otherMessages,
      unexpectedAcks: m.unexpectedAcks,
      badFrames: m.badFrames,
      mix: outcome.categories,
      cpuMsPerMessage: outcome.cpu === null || m.sentMeasured === 0 ? null : {
        machine: round(outcome.cpu.machineMs / m.sentMeasured),
        withoutHarness: round((outcome.cpu.machineMs - outcome.cpu.harnessMs) / m.sentMeasured),
      },
    },
  };
}

function latencyRow(name: string, s: LatencySummary | null): string {
  const cell = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(1)).padStart(9);
  return `${name.padEnd(16)}${String(s?.count ?? 0).padStart(8)}${cell(s?.mean)}${cell(s?.p50)}${cell(s?.p95)}${cell(s?.p99)}${cell(s?.max)}`;
}

function counts(record: Record<string, number>): string {
  const entries = Object.entries(record);
  return entries.length === 0 ? 'none' : entries.map(([k, v]) => `${k} ${v}`).join(', ');
}

/** The human-readable summary printed at the end of a run. */
export function formatReport(doc: ResultDocument): string {
  const r = doc.results;
  const c = doc.config;
  const mc = doc.machine;
  const num = (k: keyof RunResults): string => String(r[k] ?? '-');
  const lines = [
    '',
    `Chat load ${doc.label === null ? '' : `"${doc.label}" `}— ${c.targetRate} msg/s target, ${c.connections} connections (${c.patients} patients), ${c.durationS} s measured`,
    `machine: ${mc.cpuCount} × ${mc.cpuModel}, ${mc.totalMemoryGiB} GiB, ${mc.os}, node ${mc.node}, load ${mc.loadAverage1m}`,
    ...doc.notes.map((n) => `note: ${n}`),
    '',
    `achieved send rate   ${num('achievedRate')} msg/s over ${num('windowS')} s (${num('sent')} messages)`,
    `reply rate in window ${num('replyRateInWindow')} msg/s`,
    `CPU per message      ${r.cpuMsPerMessage === null ? '-' : `${r.cpuMsPerMessage.machine} ms, whole machine; ${r.cpuMsPerMessage.withoutHarness} ms without the harness`}`,
    `acked / replied      ${num('acked')} / ${num('replied')} (after ${num('drainedS')} s of drain)`,
    '',
    `${'latency (ms)'.padEnd(16)}${'count'.padStart(8)}${'mean'.padStart(9)}${'p50'.padStart(9)}${'p95'.padStart(9)}${'p99'.padStart(9)}${'max'.padStart(9)}`,
    latencyRow('ack', r.ackLatencyMs),
    latencyRow('reply', r.replyLatencyMs),
    latencyRow('harness lag', r.sendLagMs),
    '',
    `errors               ${counts(r.errors)}`,
    `lost acks / replies  ${num('lostAcks')} / ${num('lostReplies')}${r.lostReplies > 0 ? ` (replies by category: ${counts(r.lostRepliesByCategory)})` : ''}`,
    `extra / duplicate / other-connection messages  ${num('extraReplies')} / ${num('duplicateMessages')} / ${num('otherMessages')}`,
    `connect failures     ${counts(r.connectFailures)}; closed early ${counts(r.closedEarly)}`,
  ];
  return lines.join('\n');
}
