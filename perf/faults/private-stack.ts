/**
 * A private Kafka broker, Redis, PostgreSQL and ClickHouse for the fault suite, on ports of their own
 * (base port + 0..5), started by the same stack code as `careloop stack up` (stack/*.ts) under a
 * throw-away directory: restarting them disturbs nobody else on the machine. The schema registry stays
 * the shared one.
 */
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig, type Config } from '../../platform/config/config.js';
import { clickhouse } from '../../stack/clickhouse.js';
import { kafka } from '../../stack/kafka.js';
import { stackLayout } from '../../stack/layout.js';
import { postgres } from '../../stack/postgres.js';
import { isAlive, stopProcess } from '../../stack/proc.js';
import { redis } from '../../stack/redis.js';
import type { Component, StackContext } from '../../stack/types.js';
import { waitUntil } from '../../stack/wait.js';

export type DependencyName = 'kafka' | 'redis' | 'postgres' | 'clickhouse';
export const DEPENDENCIES: readonly DependencyName[] = ['kafka', 'redis', 'postgres', 'clickhouse'];
const COMPONENTS: Record<DependencyName, Component> = { kafka, redis, postgres, clickhouse };

export class PrivateStack {
  private readonly ctx: StackContext;
  private readonly pids = new Map<DependencyName, number>();
  private readonly started = new Set<DependencyName>();

  constructor(readonly dir: string, repoRoot: string, sharedStackDir: string, readonly basePort: number, say: (m: string) => void) {
    const cfg: Config = loadConfig({ env: {}, overrides: {
      'stack.dir': dir, 'stack.kafkaPort': String(basePort), 'stack.kafkaControllerPort': String(basePort + 1),
      'stack.redisPort': String(basePort + 2), 'stack.postgresPort': String(basePort + 3),
      'stack.clickhouseHttpPort': String(basePort + 4), 'stack.clickhouseTcpPort': String(basePort + 5), 'stack.javaHeap': '384m',
    } });
    this.ctx = { cfg, repoRoot, layout: stackLayout(cfg, repoRoot), reporter: { progress: (c, m) => say(`private ${c}: ${m}`) } };
    // The broker's jars come from the shared stack (no second download).
    const libs = join(this.ctx.layout.dataDir('kafka'), `libs-${cfg.stack.kafkaVersion}`);
    const shared = resolve(repoRoot, sharedStackDir, 'kafka', `libs-${cfg.stack.kafkaVersion}`);
    mkdirSync(this.ctx.layout.dataDir('kafka'), { recursive: true });
    mkdirSync(this.ctx.layout.logsDir, { recursive: true });
    if (!existsSync(libs) && existsSync(shared)) symlinkSync(shared, libs);
  }

  /** What the product's processes point at instead of the shared stack. */
  env(): Record<string, string> {
    const { host } = this.ctx.cfg.stack;
    return {
      ...(this.started.has('kafka') ? { CARELOOP_KAFKA_BROKERS: `${host}:${this.basePort}` } : {}),
      ...(this.started.has('redis') ? { CARELOOP_REDIS_URL: `redis://${host}:${this.basePort + 2}` } : {}),
      ...(this.started.has('postgres') ? { CARELOOP_POSTGRES_URL: postgres.endpoint(this.ctx.cfg) } : {}),
      ...(this.started.has('clickhouse') ? { CARELOOP_CLICKHOUSE_URL: clickhouse.endpoint(this.ctx.cfg) } : {}),
    };
  }

  /** Prepares and starts the named dependencies; the others stay the shared stack's. */
  async up(names: readonly DependencyName[]): Promise<void> {
    for (const name of (['postgres', 'redis', 'clickhouse', 'kafka'] as const).filter((n) => names.includes(n))) {
      this.started.add(name);
      await COMPONENTS[name].prepare(this.ctx);
      await this.start(name);
    }
  }

  async start(name: DependencyName): Promise<number> {
    const c = COMPONENTS[name];
    const t0 = Date.now();
    this.pids.set(name, await c.start(this.ctx));
    const outcome = await waitUntil({ component: c.name, what: 'healthy', probe: () => c.healthy(this.ctx), timeoutMs: 180_000, reporter: this.ctx.reporter });
    if (!outcome.ok) throw new Error(`private ${name} did not start: ${outcome.reason} (log ${this.ctx.layout.logPath(c.name)})`);
    await c.afterStart?.(this.ctx);
    return Date.now() - t0;
  }

  /** Stops one dependency as an outage would: SIGKILL, so nothing is flushed or handed over. */
  async kill(name: DependencyName): Promise<void> {
    const pid = this.pids.get(name);
    if (pid !== undefined && isAlive(pid)) await stopProcess(pid, 'SIGKILL', 10_000);
    this.pids.delete(name);
  }

  /** Synchronous, for an 'exit' handler. */
  killAllNow(): void {
    for (const pid of this.pids.values()) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  }

  async down(): Promise<void> {
    for (const [name, pid] of this.pids) if (isAlive(pid)) await stopProcess(pid, COMPONENTS[name].stopSignal, 20_000);
    this.pids.clear();
    rmSync(this.ctx.layout.root, { recursive: true, force: true });
  }
}
