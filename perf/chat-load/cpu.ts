/*
 * CPU time per process from /proc (Linux): utime + stime of each pid, summed per named group. Used
 * by the hot-path run to charge the machine's CPU to a fixed number of chat messages.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU milliseconds (user + system) a process has used, 0 when it is gone. */
export function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" of comm: utime is the 14th field of the line, stime the 15th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** Processes whose command line (NULs as spaces) matches. */
export function pidsWhere(match: (cmdline: string) => boolean): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (match(readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' '))) out.push(Number(d));
    } catch { /* gone meanwhile */ }
  }
  return out;
}

/** Busy CPU milliseconds of the whole machine (every process, everyone's), from /proc/stat. */
export function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy = all but idle and iowait
  const busy = v.slice(0, 8).reduce((n, x, i) => (i === 3 || i === 4 ? n : n + x), 0);
  return busy * TICK_MS;
}

/** A group of processes; `pids` is re-evaluated at each snapshot (e.g. PostgreSQL backends come and go). */
export interface ProcGroup { name: string; pids: () => number[]; shared: boolean }

export type CpuSnapshot = Record<string, number>;

/**
 * CPU ms of every group. A process that appears between two snapshots contributes all its CPU
 * (it started meanwhile); one that disappears is lost (avoid it: snapshot while the product runs).
 */
export function snapshot(groups: readonly ProcGroup[]): CpuSnapshot {
  const s: CpuSnapshot = { machine: machineBusyMs() };
  for (const g of groups) s[g.name] = g.pids().reduce((n, p) => n + procCpuMs(p), 0);
  return s;
}

export interface CpuPerMessage {
  /** CPU ms per message of each group. */
  perProcess: Record<string, number>;
  /** Sum over the product's processes (not shared with anybody). */
  product: number;
  /** Product plus the stack processes (their figures include others' work: upper bounds when shared). */
  total: number;
  /** Every process on the machine, from /proc/stat (includes other people's work on a shared machine). */
  machine: number;
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

export function cpuPerMessage(groups: readonly ProcGroup[], a: CpuSnapshot, b: CpuSnapshot, messages: number): CpuPerMessage {
  const n = Math.max(1, messages);
  const perProcess: Record<string, number> = {};
  let product = 0;
  let total = 0;
  for (const g of groups) {
    const ms = (b[g.name] ?? 0) - (a[g.name] ?? 0);
    perProcess[g.name] = r3(ms / n);
    total += ms;
    if (!g.shared) product += ms;
  }
  return { perProcess, product: r3(product / n), total: r3(total / n), machine: r3(((b['machine'] ?? 0) - (a['machine'] ?? 0)) / n) };
}
