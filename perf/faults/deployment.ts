/**
 * The product in the multi-process layout, one `careloop run <service>` process per service, under
 * the fault run's own topic and key prefixes: started, killed with SIGKILL and restarted by name,
 * with CPU and RSS read from /proc for the report and the soak.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../../platform/paths.js';
import { freePort, ProductProcess } from '../../test/product.js';
import { procSample, type ProcSample } from '../capacity/proc.js';

export const PROCESSORS = ['intent', 'dialogue', 'actions', 'delivery-ws', 'scheduler', 'analytics-sink'] as const;
export const SERVICES = [...PROCESSORS, 'gateway'] as const;
export type ServiceName = typeof SERVICES[number];

export interface ProcessFigures { cpuSeconds: number; rssBytes: number; restarts: number }

/** Ready means the process's consumers hold partitions again (its /health/ready): the end of the stall. */
async function waitReady(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try { if ((await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(2_000) })).ok) return; } catch { /* not yet */ }
    await sleep(100);
  }
  throw new Error(`ops port ${port} not ready within ${ms} ms`);
}

export class Deployment {
  private readonly procs = new Map<ServiceName, ProductProcess>();
  /** CPU of processes already killed, so a service's total spans its restarts. */
  private readonly deadCpu = new Map<ServiceName, number>();
  private readonly restarts = new Map<ServiceName, number>();
  private readonly opsPorts = new Map<ServiceName, number>();

  /** `logDir`: each process's output is appended to <logDir>/<service>.log when it is killed or stopped. */
  constructor(readonly env: NodeJS.ProcessEnv, readonly gatewayPort: number, private readonly logDir: string | null = null) {
    if (logDir !== null) mkdirSync(logDir, { recursive: true });
  }

  private keepLog(s: ServiceName, p: ProductProcess, why: string): void {
    if (this.logDir !== null) appendFileSync(join(this.logDir, `${s}.log`), `${p.output}\n--- ${why} at ${new Date().toISOString()}\n`);
  }

  get gatewayUrl(): string { return `ws://127.0.0.1:${this.gatewayPort}/v1/chat`; }

  /** `careloop prepare` for this deployment: its topics, migrations and schemas. */
  prepare(): void {
    const prep = spawnSync(process.execPath, [join(repoRoot(), 'dist/cli/main.js'), 'prepare'], { env: this.env, encoding: 'utf8' });
    if (prep.status !== 0) throw new Error(`prepare failed: ${prep.stderr}${prep.stdout}`);
  }

  async startAll(): Promise<void> {
    await Promise.all(SERVICES.map((s) => this.start(s)));
  }

  async start(s: ServiceName): Promise<number> {
    const t0 = Date.now();
    const port = await freePort();
    // Static membership (rdkafka): the restarted process takes its partitions back under the same id.
    const instance = this.env['CARELOOP_KAFKA_DRIVER'] === 'rdkafka' ? { CARELOOP_CONSUMER_INSTANCE_ID: `${this.env['CARELOOP_KAFKA_TOPIC_PREFIX'] ?? ''}${s}` } : {};
    // A busy machine starts seven processes at once slowly: a longer deadline than the tests' minute.
    this.procs.set(s, await ProductProcess.start([s], { ...this.env, ...instance, CARELOOP_SERVICES_OPS_PORT: String(port) }, [], 180_000));
    this.opsPorts.set(s, port);
    await waitReady(port, 120_000);
    return Date.now() - t0;
  }

  /** kill -9, then a restart at once (as a supervisor would); resolves with the ms until it is ready again. */
  async killAndRestart(s: ServiceName): Promise<number> {
    await this.kill(s);
    this.restarts.set(s, (this.restarts.get(s) ?? 0) + 1);
    return this.start(s);
  }

  async kill(s: ServiceName): Promise<void> {
    const p = this.procs.get(s);
    if (p === undefined) return;
    try { this.deadCpu.set(s, (this.deadCpu.get(s) ?? 0) + procSample(p.child.pid as number).cpuSeconds); } catch { /* already gone */ }
    await p.stop('SIGKILL');
    this.keepLog(s, p, 'kill -9');
    this.procs.delete(s);
  }

  /** Output of a service's current process (for a failure's evidence). */
  output(s: ServiceName): string { return this.procs.get(s)?.output ?? ''; }

  sample(s: ServiceName): ProcessFigures | null {
    const p = this.procs.get(s);
    if (p?.child.pid === undefined || p.child.exitCode !== null) return null;
    const now: ProcSample = procSample(p.child.pid);
    return { cpuSeconds: now.cpuSeconds + (this.deadCpu.get(s) ?? 0), rssBytes: now.rssBytes, restarts: this.restarts.get(s) ?? 0 };
  }

  /** The service's current process id (null when it is not running). */
  pid(s: ServiceName): number | null {
    const p = this.procs.get(s);
    return p?.child.pid === undefined || p.child.exitCode !== null ? null : p.child.pid;
  }

  /** V8 heap in use and memory outside the heap (Buffers, native), bytes, from the process's own /metrics. */
  async heap(s: ServiceName): Promise<{ heapUsedBytes: number; externalBytes: number } | null> {
    const port = this.opsPorts.get(s);
    if (port === undefined || this.pid(s) === null) return null;
    try {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
      const read = (name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
      return { heapUsedBytes: read('careloop_nodejs_heap_size_used_bytes'), externalBytes: read('careloop_nodejs_external_memory_bytes') };
    } catch { return null; }
  }

  /** Synchronous, for an 'exit' handler: nothing of ours outlives a runner that was cut short. */
  killAllNow(): void {
    for (const p of this.procs.values()) p.child.kill('SIGKILL');
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.procs].map(async ([s, p]) => { await p.stop('SIGTERM'); this.keepLog(s, p, 'stopped'); }));
    this.procs.clear();
  }
}
