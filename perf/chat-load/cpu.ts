import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';

/** A reading of the whole machine's CPU time (every process: the product, Kafka, the databases, this harness). */
export interface CpuMark { busy: number; total: number; wallMs: number; selfMs: number }

/** Reads /proc/stat's aggregate line; null where there is none (not Linux). */
export function cpuMark(): CpuMark | null {
  let line: string | undefined;
  try { line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]; } catch { return null; }
  const f = (line ?? '').trim().split(/\s+/).slice(1).map(Number);
  if (f.length < 8 || f.some((n) => !Number.isFinite(n))) return null;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f as [number, number, number, number, number, number, number, number];
  const busy = user + nice + system + irq + softirq + steal;
  const self = process.cpuUsage();
  return { busy, total: busy + idle + iowait, wallMs: performance.now(), selfMs: (self.user + self.system) / 1000 };
}

/** CPU milliseconds spent between two marks: the machine's, and this process's own share of it. */
export function cpuBetween(a: CpuMark, b: CpuMark): { machineMs: number; harnessMs: number } {
  const total = b.total - a.total;
  // Busy share of all the CPUs' time, times the wall time of all of them: no clock-tick constant needed.
  const machineMs = total <= 0 ? 0 : ((b.busy - a.busy) / total) * (b.wallMs - a.wallMs) * cpus().length;
  return { machineMs, harnessMs: b.selfMs - a.selfMs };
}
