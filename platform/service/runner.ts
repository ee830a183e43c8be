import { randomUUID } from 'node:crypto';
import type { Config } from '../config/config.js';
import type { Logger } from '../log.js';
import { Dependencies } from './dependencies.js';
import { createMetrics } from './metrics.js';
import { buildOpsServer } from './ops-server.js';
import { installTracing } from '../telemetry/tracing.js';
import { productVersion } from '../version.js';
import { processClock } from '../time/clock.js';
import type { Endpoint, HealthCheck, RunningService, ServiceDefinition } from './types.js';

export interface RunningProcess {
  endpoints: Endpoint[];
  services: RunningService[];
  stop(): Promise<void>;
}

/**
 * Starts services in one process around shared clients and one ops server (health, metrics).
 * `careloop run all` passes every service; `careloop run <name>` passes one.
 */
export async function runServices(cfg: Config, log: Logger, defs: readonly ServiceDefinition[]): Promise<RunningProcess> {
  const now = processClock(cfg);
  const metrics = createMetrics();
  const tracing = installTracing({ otlpEndpoint: cfg.telemetry.otlpEndpoint, sampleRatio: cfg.telemetry.sampleRatio, serviceName: cfg.telemetry.serviceName, version: productVersion() });
  const deps = new Dependencies(cfg, log, metrics);
  const running: RunningService[] = [];
  const ops = buildOpsServer({
    metrics,
    services: () => running.map((s) => s.name),
    checks: (): HealthCheck[] => running.flatMap((s) => [...s.checks]),
  });
  const stop = async (): Promise<void> => {
    for (const s of running.splice(0).reverse()) {
      await s.stop().catch((err: unknown) => log.error({ err, service: s.name }, 'service failed to stop cleanly'));
    }
    await ops.close();
    await deps.close();
    await tracing.shutdown();
  };
  try {
    const opsUrl = await ops.listen({ host: cfg.services.host, port: cfg.services.opsPort });
    for (const def of defs) {
      const slog = log.child({ service: def.name, instance: randomUUID().slice(0, 8) });
      running.push(await def.start({ cfg, log: slog, metrics, deps, now }));
      slog.info('service started');
    }
    const endpoints: Endpoint[] = [
      { name: 'health', url: `${opsUrl}/health` },
      { name: 'metrics', url: `${opsUrl}/metrics` },
      ...running.flatMap((s) => s.endpoints),
    ];
    return { endpoints, services: running, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
