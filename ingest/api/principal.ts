import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../../platform/auth/principal.js';
import { CareloopError } from '../../platform/errors.js';
import type { RateLimiter } from '../../platform/stores/rate-limit.js';

// The caller of a request: set by the app's onRequest hook, read by every route (apart from app.ts so routes never import the app).
declare module 'fastify' {
  interface FastifyRequest { principal: Principal | null }
  interface FastifyContextConfig { public?: boolean }
}

export interface PrincipalOptions {
  authenticate(header: string | undefined): Promise<Principal>;
  /** Token buckets per credential (authenticated requests); null turns the limit off. */
  limiter: RateLimiter | null;
}

export function principalOf(req: FastifyRequest): Principal {
  if (req.principal === null) throw new CareloopError('UNAUTHENTICATED', 'credentials are required');
  return req.principal;
}

/**
 * Authenticates every route not marked `config.public`. Credentials are checked before the body is
 * parsed or validated: no schema detail leaks to strangers.
 */
export function installPrincipal(app: FastifyInstance, opts: PrincipalOptions): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.config.public === true || req.routeOptions.url === undefined) return;
    req.principal = await opts.authenticate(req.headers.authorization);
    if (opts.limiter !== null && !(await opts.limiter.take(`cred:${req.principal.kind}:${req.principal.id}`))) {
      throw new CareloopError('RATE_LIMITED', 'too many requests with this credential; slow down');
    }
  });
}
