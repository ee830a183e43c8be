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
  /** Whether the caller's organisation is suspended (read on every request, so a suspension holds at once); absent, never. */
  suspended?: (organizationId: string) => Promise<boolean>;
}

const PLATFORM = '/v1/platform/';

export function principalOf(req: FastifyRequest): Principal {
  if (req.principal === null) throw new CareloopError('UNAUTHENTICATED', 'credentials are required');
  return req.principal;
}

/**
 * Authenticates every route not marked `config.public`. Credentials are checked before the body is
 * parsed or validated: no schema detail leaks to strangers. A suspended organisation's credentials
 * are refused (403 ORGANIZATION_SUSPENDED); a platform operator reaches only /v1/platform/*.
 */
export function installPrincipal(app: FastifyInstance, opts: PrincipalOptions): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.config.public === true || req.routeOptions.url === undefined) return;
    req.principal = await opts.authenticate(req.headers.authorization);
    // The platform operator belongs to no organisation and reaches only the platform's routes.
    if (req.principal.role === 'platform_operator' && !req.routeOptions.url.startsWith(PLATFORM)) {
      throw new CareloopError('FORBIDDEN', 'a platform operator may use only /v1/platform/*', { details: { reason: 'platform_operator' } });
    }
    if (req.principal.role !== 'platform_operator' && opts.suspended !== undefined && await opts.suspended(req.principal.organizationId)) {
      throw new CareloopError('ORGANIZATION_SUSPENDED', 'this organisation is suspended; its credentials are refused until it is resumed');
    }
    if (opts.limiter !== null && !(await opts.limiter.take(`cred:${req.principal.kind}:${req.principal.id}`))) {
      throw new CareloopError('RATE_LIMITED', 'too many requests with this credential; slow down');
    }
  });
}
