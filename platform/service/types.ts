import type { Config } from '../config/config.js';
import type { Logger } from '../log.js';
import type { Dependencies } from './dependencies.js';
import type { Metrics } from './metrics.js';

/** One readiness check: resolves when the dependency answers, rejects with the reason otherwise. */
export interface HealthCheck {
  name: string;
  check: () => Promise<void>;
}

export interface Endpoint {
  name: string;
  url: string;
}

export interface ServiceContext {
  cfg: Config;
  log: Logger;
  metrics: Metrics;
  deps: Dependencies;
  now: () => number;
}

export interface RunningService {
  readonly name: string;
  /** Public listeners this service opened (printed at start). */
  readonly endpoints: readonly Endpoint[];
  /** What readiness of this service depends on. */
  readonly checks: readonly HealthCheck[];
  stop(): Promise<void>;
}

/** A service: one entry point of the one image, started by `careloop run <name>`. */
export interface ServiceDefinition {
  name: string;
  description: string;
  start(ctx: ServiceContext): Promise<RunningService>;
}
