import type { Config } from '../platform/config/config.js';

export type ComponentName = 'postgres' | 'redis' | 'clickhouse' | 'kafka' | 'registry';

/** Start order; registry stores its schemas in postgres, so it comes after it. */
export const COMPONENT_ORDER: readonly ComponentName[] = ['postgres', 'redis', 'clickhouse', 'kafka', 'registry'];

export interface ComponentStatus {
  name: ComponentName;
  state: 'running' | 'stopped' | 'unhealthy';
  startedByUs: boolean;
  endpoint: string;
  logPath: string;
  pid?: number;
  detail?: string;
}

export interface StackReporter { progress(component: ComponentName | 'stack', message: string): void }

export interface StackOptions { repoRoot: string; reporter: StackReporter; only?: ComponentName[] }

/** Where one stack keeps its files: data per component, logs, pid files. */
export interface Layout {
  readonly root: string;
  readonly runDir: string;
  readonly logsDir: string;
  dataDir(name: ComponentName): string;
  logPath(name: ComponentName | 'install'): string;
  pidPath(name: ComponentName): string;
}

/** Everything a component needs, wired once per stack call. */
export interface StackContext {
  readonly cfg: Config;
  readonly repoRoot: string;
  readonly layout: Layout;
  readonly reporter: StackReporter;
}

/** A system package a component needs, and how to tell it is already there. */
export interface Requirement { readonly aptPackage: string; readonly present: () => boolean; readonly what: string }

/** One real component of the stack; index.ts drives these through the same life cycle. */
export interface Component {
  readonly name: ComponentName;
  /** A substring of the process command line, so a stale pid file never makes us signal a stranger. */
  readonly processMarker: string;
  /** postgres takes SIGINT as "fast shutdown"; SIGTERM would wait for every client to leave. */
  readonly stopSignal: NodeJS.Signals;
  endpoint(cfg: Config): string;
  /** The ports it listens on; the first one is the one people connect to. */
  ports(cfg: Config): number[];
  requirements(): Requirement[];
  /** Downloads, generated config, one-time initialisation; safe to repeat. */
  prepare(ctx: StackContext): Promise<void>;
  /** Spawns the process detached and returns its pid. */
  start(ctx: StackContext): Promise<number>;
  /** True when the component answers its own protocol (not just an open port). */
  healthy(ctx: StackContext): Promise<boolean>;
  /** Idempotent set-up that needs the running server (roles, databases). */
  afterStart?(ctx: StackContext): Promise<void>;
}
