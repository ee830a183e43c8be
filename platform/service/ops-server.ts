import Fastify, { type FastifyInstance } from 'fastify';
import { toHttpError } from '../errors.js';
import type { Metrics } from './metrics.js';
import type { HealthCheck } from './types.js';

export interface CheckResult {
  status: 'ok' | 'failing';
  latencyMs: number;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  services: string[];
  checks: Record<string, CheckResult>;
}

async function runCheck(c: HealthCheck, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  try {
    await Promise.race([
      c.check(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
    return { status: 'ok', latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return { status: 'failing', latencyMs: Math.round(performance.now() - started), error: (err as Error).message };
  }
}

/** Runs every readiness check concurrently; a check named twice (two services, one client) runs once. */
export async function healthReport(services: string[], checks: readonly HealthCheck[], timeoutMs = 2000): Promise<HealthReport> {
  const unique: HealthCheck[] = [];
  for (const c of checks) if (!unique.some((u) => u.name === c.name)) unique.push(c);
  const results = await Promise.all(unique.map(async (c) => [c.name, await runCheck(c, timeoutMs)] as const));
  const byName = Object.fromEntries(results);
  return { status: results.every(([, r]) => r.status === 'ok') ? 'ok' : 'degraded', services, checks: byName };
}

export interface OpsServerOptions {
  metrics: Metrics;
  /** Read at each request, so services added after start are covered. */
  services: () => string[];
  checks: () => readonly HealthCheck[];
}

/**
 * The operations endpoints of a process: /health/live (the event loop answers), /health/ready and
 * /health (every dependency answers; 503 otherwise) and Prometheus /metrics.
 */
export function buildOpsServer(opts: OpsServerOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  // The same {code, message} body as the API and the gateway.
  app.setNotFoundHandler((req, reply) => { void reply.code(404).send({ code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0] ?? ''}; try /health, /health/live, /health/ready or /metrics` }); });
  app.setErrorHandler((err, _req, reply) => { const { status, body } = toHttpError(err); void reply.code(status).send(body); });
  app.get('/health/live', async () => ({ status: 'ok' }));
  const ready = async (_req: unknown, reply: { code: (n: number) => unknown }): Promise<HealthReport> => {
    const report = await healthReport(opts.services(), opts.checks());
    reply.code(report.status === 'ok' ? 200 : 503);
    return report;
  };
  app.get('/health', ready);
  app.get('/health/ready', ready);
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', opts.metrics.registry.contentType);
    return opts.metrics.registry.metrics();
  });
  return app;
}
