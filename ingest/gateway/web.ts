import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CareloopError } from '../../platform/errors.js';
import { repoRoot } from '../../platform/paths.js';
import { publicErrorResponses } from '../http.js';

export interface WebOptions {
  /** Origins allowed to embed the chat (frame-ancestors) and to call the verify routes (CORS). */
  allowedOrigins: readonly string[];
  /** TLS is on: browsers are told to keep to https (HSTS). */
  tls: boolean;
  verifyToken(token: string): Promise<{ organizationId: string; patientId: string; expiresAt?: Date }>;
  demoPatients?: () => Promise<unknown>;
}

/** The chat's files, read once: the page, its script and style, and the embedding script. */
const FILES = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/chat.js': ['chat.js', 'text/javascript; charset=utf-8'],
  '/chat.css': ['chat.css', 'text/css; charset=utf-8'],
  '/embed.js': ['embed.js', 'text/javascript; charset=utf-8'],
  '/sw.js': ['sw.js', 'text/javascript; charset=utf-8'],
} as const;

/** Routes a page on another origin may call (CORS), when that origin is allowed. */
const CROSS_ORIGIN = /^\/v1\/(verify\/|session$)/;

/**
 * The page's policy: its own script and style only, sockets and fetches to this origin, framed
 * only by this origin and the configured ones.
 */
export function chatPageCsp(allowedOrigins: readonly string[]): string {
  return ["default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'", "base-uri 'none'", "form-action 'self'",
    `frame-ancestors 'self'${allowedOrigins.map((o) => ` ${o}`).join('')}`].join('; ');
}

function tokenOf(req: FastifyRequest): string | null {
  const auth = req.headers.authorization;
  return typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7).trim() : null;
}

function cors(req: FastifyRequest, reply: FastifyReply, allowed: readonly string[]): void {
  const origin = req.headers.origin;
  if (typeof origin !== 'string' || !allowed.includes(origin) || !CROSS_ORIGIN.test(req.url.split('?')[0] ?? '')) return;
  void reply.header('access-control-allow-origin', origin).header('vary', 'Origin')
    .header('access-control-allow-headers', 'content-type, authorization').header('access-control-allow-methods', 'GET, POST').header('access-control-max-age', '600');
}

/** Security headers on every answer, CORS for the verify routes, the chat page and the session check. */
export function registerWeb(app: FastifyInstance, opts: WebOptions): void {
  const dir = join(repoRoot(), 'ingest/gateway/web');
  const csp = chatPageCsp(opts.allowedOrigins);
  app.addHook('onRequest', async (req, reply) => {
    void reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
    if (opts.tls) void reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    cors(req, reply, opts.allowedOrigins);
  });
  // Preflights: answered for allowed origins (the headers above), refused for others by their absence.
  app.options('/v1/verify/*', { schema: { hide: true } }, async (_req, reply) => reply.code(204).send());
  app.options('/v1/session', { schema: { hide: true } }, async (_req, reply) => reply.code(204).send());
  for (const [path, [file, type]] of Object.entries(FILES)) {
    const body = readFileSync(join(dir, file), 'utf8');
    app.get(path, { schema: { hide: true } }, async (_req, reply) => {
      void reply.type(type).header('cache-control', path === '/' ? 'no-store' : 'public, max-age=300');
      // The embedding script runs on the clinic's page; everything else belongs to this origin.
      if (path === '/embed.js') void reply.header('cross-origin-resource-policy', 'cross-origin');
      // The service worker is fetched fresh so an update reaches every browser at once.
      else if (path === '/sw.js') void reply.header('cache-control', 'no-cache').header('service-worker-allowed', '/').header('content-security-policy', csp).header('cross-origin-resource-policy', 'same-origin');
      else void reply.header('content-security-policy', csp).header('cross-origin-resource-policy', 'same-origin');
      return reply.send(body);
    });
  }
  app.get('/v1/session', {
    schema: {
      summary: 'Check a session token: who it is for and when it expires; 401 once it has expired (verify again)',
      security: [{ session: [] }],
      response: { 200: Type.Object({ organizationId: Type.String(), patientId: Type.String(), expiresAt: Type.String({ format: 'date-time' }) }), 401: Type.Ref('Error'), ...publicErrorResponses },
    },
  }, async (req) => {
    const token = tokenOf(req);
    if (token === null) throw new CareloopError('UNAUTHENTICATED', 'a session token is required (Authorization: Bearer …)');
    let claims;
    try { claims = await opts.verifyToken(token); } catch (err) {
      throw new CareloopError('UNAUTHENTICATED', /expired/.test((err as Error).message) ? 'the session has expired; verify again' : 'the session token is not valid; verify again');
    }
    return { organizationId: claims.organizationId, patientId: claims.patientId, expiresAt: (claims.expiresAt ?? new Date(0)).toISOString() };
  });
  app.get('/demo/patients', { schema: { hide: true } }, async () => {
    if (opts.demoPatients === undefined) throw new CareloopError('NOT_FOUND', 'demo patients are available in development only');
    return opts.demoPatients();
  });
}
