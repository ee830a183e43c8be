import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../platform/paths.js';
import type { RunningService, ServiceContext, ServiceDefinition } from '../../platform/service/types.js';
import { listenerTls } from '../../platform/service/tls.js';
import { buildApiApp } from './app.js';

/** The admin and integration API: organisations, workflows and reports plug in here. */
export const adminApi: ServiceDefinition = {
  name: 'api',
  description: 'admin and integration HTTP API',
  async start(ctx: ServiceContext): Promise<RunningService> {
    const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string };
    const app = buildApiApp({ log: ctx.log, version: pkg.version, https: listenerTls(ctx.cfg) });
    const url = await app.listen({ host: ctx.cfg.services.host, port: ctx.cfg.services.apiPort });
    return {
      name: 'api',
      endpoints: [{ name: 'admin API', url }],
      checks: ctx.deps.checks(['postgres']),
      stop: () => app.close(),
    };
  },
};
