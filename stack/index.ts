import type { Config } from '../platform/config/config.js';
import { isCareloopError, type CareloopError } from '../platform/errors.js';
import { clickhouse } from './clickhouse.js';
import { stackFailed } from './failure.js';
import { installPackages } from './install.js';
import { kafka } from './kafka.js';
import { stackLayout, withStackLock } from './layout.js';
import { postgres } from './postgres.js';
import { isOurProcess, readPid, removePid, stopProcess, writePid } from './proc.js';
import { redis } from './redis.js';
import { registry } from './registry.js';
import { COMPONENT_ORDER } from './types.js';
import type { Component, ComponentName, ComponentStatus, StackContext, StackOptions } from './types.js';
import { tcpOpen, waitUntil } from './wait.js';

export type { ComponentName, ComponentStatus, StackOptions, StackReporter } from './types.js';

const COMPONENTS: Record<ComponentName, Component> = { postgres, redis, clickhouse, kafka, registry };
/** Registry keeps its schemas in postgres. */
const DEPENDS_ON: Partial<Record<ComponentName, readonly ComponentName[]>> = { registry: ['postgres'] };
const STOP_GRACE_MS = 30_000;
/** A cold `up` (apt, Maven downloads, first starts) can take minutes; others wait that long for it. */
const LOCK_WAIT_MS = 15 * 60_000;

function contextOf(cfg: Config, opts: StackOptions): StackContext {
  return { cfg, repoRoot: opts.repoRoot, reporter: opts.reporter, layout: stackLayout(cfg, opts.repoRoot) };
}

/** The requested components plus what they depend on, in start order. */
export function selectComponents(only: readonly ComponentName[] | undefined): ComponentName[] {
  if (only === undefined || only.length === 0) return [...COMPONENT_ORDER];
  const wanted = new Set(only);
  for (const name of only) for (const dep of DEPENDS_ON[name] ?? []) wanted.add(dep);
  return COMPONENT_ORDER.filter((n) => wanted.has(n));
}

/** The pid we recorded, if that process is still ours; a stale pid file is removed. */
function trackedPid(ctx: StackContext, c: Component): number | undefined {
  const path = ctx.layout.pidPath(c.name);
  const pid = readPid(path);
  if (pid === undefined) return undefined;
  if (isOurProcess(pid, c.processMarker)) return pid;
  removePid(path);
  return undefined;
}

async function inspect(ctx: StackContext, c: Component): Promise<ComponentStatus> {
  const pid = trackedPid(ctx, c);
  const base = { name: c.name, endpoint: c.endpoint(ctx.cfg), logPath: ctx.layout.logPath(c.name) };
  const healthy = await c.healthy(ctx).catch(() => false);
  if (pid !== undefined) return { ...base, state: healthy ? 'running' : 'unhealthy', startedByUs: true, pid, ...(healthy ? {} : { detail: 'process alive but not answering' }) };
  if (healthy) return { ...base, state: 'running', startedByUs: false, detail: 'started outside `careloop stack up`; left alone' };
  for (const port of c.ports(ctx.cfg)) {
    if (await tcpOpen(ctx.cfg.stack.host, port)) return { ...base, state: 'unhealthy', startedByUs: false, detail: `port ${port} is held by another process` };
  }
  return { ...base, state: 'stopped', startedByUs: false };
}

async function waitHealthy(ctx: StackContext, c: Component, pid: number): Promise<void> {
  const port = c.ports(ctx.cfg)[0];
  const outcome = await waitUntil({
    component: c.name, what: `port ${port}`, probe: () => c.healthy(ctx), timeoutMs: ctx.cfg.stack.startTimeout,
    reporter: ctx.reporter, abort: () => (isOurProcess(pid, c.processMarker) ? undefined : 'the process exited'),
  });
  if (outcome.ok) { ctx.reporter.progress(c.name, `ready in ${(outcome.elapsedMs / 1000).toFixed(1)}s at ${c.endpoint(ctx.cfg)}`); return; }
  if (isOurProcess(pid, c.processMarker)) await stopProcess(pid, 'SIGKILL', 5000);
  removePid(ctx.layout.pidPath(c.name));
  throw stackFailed(c.name, `did not become healthy on ${ctx.cfg.stack.host}:${port}: ${outcome.reason}`, 'read the log below, fix the cause (a busy port, a corrupt data dir), then run `careloop stack up` again', ctx.layout.logPath(c.name));
}

/** Brings one component to running: leaves a healthy one alone, otherwise prepares and starts it. */
async function bringUp(ctx: StackContext, c: Component, before: ComponentStatus, depsReady: Promise<unknown>): Promise<void> {
  if (before.state === 'running') {
    await depsReady;
    ctx.reporter.progress(c.name, `already running at ${before.endpoint}${before.startedByUs ? ` (pid ${before.pid})` : ' (not started by us)'}`);
    if (before.startedByUs) await c.afterStart?.(ctx);
    return;
  }
  if (before.state === 'unhealthy' && !before.startedByUs) {
    throw stackFailed(c.name, before.detail ?? 'its port is busy', `stop that process or change the port (stack.* config keys), then run \`careloop stack up\` again`, before.logPath);
  }
  let pid = before.pid;
  if (pid === undefined) {
    ctx.reporter.progress(c.name, 'preparing');
    await c.prepare(ctx); // downloads and unpacking overlap with the dependencies' start
    await depsReady;
    ctx.reporter.progress(c.name, 'starting');
    pid = await c.start(ctx);
    writePid(ctx.layout.pidPath(c.name), pid);
  } else {
    await depsReady;
    ctx.reporter.progress(c.name, `pid ${pid} is alive but not answering yet; waiting for it`);
  }
  await waitHealthy(ctx, c, pid);
  await c.afterStart?.(ctx);
}

/** Starts every component concurrently, each after the ones it depends on. */
async function bringUpAll(ctx: StackContext, names: readonly ComponentName[], before: Map<ComponentName, ComponentStatus>): Promise<void> {
  const running = new Map<ComponentName, Promise<void>>();
  for (const name of names) {
    const deps = Promise.all((DEPENDS_ON[name] ?? []).map((d) => running.get(d)));
    deps.catch(() => undefined); // observed through bringUp; avoids an unhandled rejection meanwhile
    running.set(name, bringUp(ctx, COMPONENTS[name], before.get(name) as ComponentStatus, deps).catch((err: unknown) => { throw asStackFailure(ctx, name, err); }));
  }
  const results = await Promise.allSettled(running.values());
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as CareloopError);
  const distinct = failures.filter((f, i) => failures.indexOf(f) === i);
  for (const extra of distinct.slice(1)) ctx.reporter.progress('stack', `also failed: ${extra.message.split('\n')[0] ?? ''}`);
  if (distinct[0] !== undefined) throw distinct[0];
}

/** Unexpected throws (a missing binary, a refused connection) become STACK_FAILED with the log. */
function asStackFailure(ctx: StackContext, name: ComponentName, err: unknown): CareloopError {
  if (isCareloopError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return stackFailed(name, message, 'read the log below, fix the cause, then run `careloop stack up` again', ctx.layout.logPath(name), err);
}

async function inspectAll(ctx: StackContext, names: readonly ComponentName[]): Promise<ComponentStatus[]> {
  return Promise.all(names.map((n) => inspect(ctx, COMPONENTS[n])));
}

/**
 * Installs what is missing and starts every selected component that is not already running;
 * idempotent, so a second call leaves everything as it is.
 */
export async function stackUp(cfg: Config, opts: StackOptions): Promise<ComponentStatus[]> {
  const ctx = contextOf(cfg, opts);
  const names = selectComponents(opts.only);
  return withStackLock(ctx.layout, LOCK_WAIT_MS, async () => {
    const started = Date.now();
    const before = new Map((await inspectAll(ctx, names)).map((s) => [s.name, s]));
    const toStart = names.filter((n) => before.get(n)?.state === 'stopped');
    await installPackages(ctx, toStart.flatMap((n) => COMPONENTS[n].requirements()));
    await bringUpAll(ctx, names, before);
    ctx.reporter.progress('stack', `up in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return inspectAll(ctx, names);
  });
}

async function bringDown(ctx: StackContext, c: Component): Promise<void> {
  const pid = trackedPid(ctx, c);
  if (pid === undefined) return;
  ctx.reporter.progress(c.name, `stopping pid ${pid} (${c.stopSignal})`);
  const how = await stopProcess(pid, c.stopSignal, STOP_GRACE_MS);
  if (how === 'killed') ctx.reporter.progress(c.name, `did not stop within ${STOP_GRACE_MS / 1000}s; killed`);
  removePid(ctx.layout.pidPath(c.name));
}

/** Stops only what `stackUp` started (tracked by pid files): registry first, then the rest together. */
export async function stackDown(cfg: Config, opts: StackOptions): Promise<ComponentStatus[]> {
  const ctx = contextOf(cfg, opts);
  const names = opts.only === undefined || opts.only.length === 0 ? [...COMPONENT_ORDER] : COMPONENT_ORDER.filter((n) => opts.only?.includes(n));
  return withStackLock(ctx.layout, LOCK_WAIT_MS, async () => {
    if (names.includes('registry')) await bringDown(ctx, registry);
    await Promise.all(names.filter((n) => n !== 'registry').map((n) => bringDown(ctx, COMPONENTS[n])));
    return inspectAll(ctx, names);
  });
}

/** What is running, what we started, and where each log is; changes nothing. */
export async function stackStatus(cfg: Config, opts: StackOptions): Promise<ComponentStatus[]> {
  const ctx = contextOf(cfg, opts);
  const names = opts.only === undefined || opts.only.length === 0 ? [...COMPONENT_ORDER] : COMPONENT_ORDER.filter((n) => opts.only?.includes(n));
  return inspectAll(ctx, names);
}
