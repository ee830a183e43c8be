import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CareloopError, toHttpError } from '../platform/errors.js';
import type { Metrics } from '../platform/service/metrics.js';
import type { RateLimiter } from '../platform/stores/rate-limit.js';
import { startServerSpan, type Span } from '../platform/telemetry/tracing.js';
import { Type } from '@sinclair/typebox';

/** The error body every route documents: a stable code and a human message. */
export const ErrorBody = Type.Object({ code: Type.String(), message: Type.String() }, { $id: 'Error' });

export const errorResponses = {
  400: Type.Ref('Error'), 401: Type.Ref('Error'), 403: Type.Ref('Error'), 404: Type.Ref('Error'), 413: Type.Ref('Error'), 429: Type.Ref('Error'),
} as const;

/** The errors a public route (no credentials) can answer. */
export const publicErrorResponses = { 400: Type.Ref('Error'), 413: Type.Ref('Error'), 429: Type.Ref('Error') } as const;

/** Maps fastify's own errors (validation, body size, bad JSON) onto our codes; never a stack trace. */
export function httpError(err: unknown): ReturnType<typeof toHttpError> {
  const e = err as { validation?: unknown; statusCode?: number; code?: string; message?: string };
  if (e instanceof CareloopError) return toHttpError(e);
  if (e.validation !== undefined) return toHttpError(new CareloopError('VALIDATION_FAILED', e.message ?? 'invalid request'));
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return toHttpError(new CareloopError('PAYLOAD_TOO_LARGE', 'request body is too large'));
  if (e.statusCode === 415) return toHttpError(new CareloopError('VALIDATION_FAILED', 'unsupported content type; send application/json'));
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) return toHttpError(new CareloopError('VALIDATION_FAILED', e.message ?? 'bad request'));
  return toHttpError(err);
}

/** What a listener reports about itself: its name on the HTTP metrics and spans. */
export interface HttpObservation { server: 'api' | 'gateway' | 'twilio'; metrics: Metrics }

/**
 * Counts and times every request by route template (never the raw path, whose ids would become
 * labels) and status, and records a server span that continues the caller's traceparent.
 */
function observeRequests(app: FastifyInstance, o: HttpObservation): void {
  const started = new WeakMap<FastifyRequest, { at: bigint; span: Span }>();
  app.addHook('onRequest', async (req) => {
    const span = startServerSpan(`${req.method} ${req.routeOptions.url ?? 'unmatched'}`, req.headers as Record<string, string>, { 'http.request.method': req.method, 'http.route': req.routeOptions.url ?? 'unmatched' });
    started.set(req, { at: process.hrtime.bigint(), span });
  });
  app.addHook('onResponse', async (req, reply) => {
    const s = started.get(req);
    if (s === undefined) return;
    const labels = { server: o.server, method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
    o.metrics.httpRequests.inc(labels);
    o.metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - s.at) / 1e9);
    s.span.setAttribute('http.response.status_code', reply.statusCode);
    s.span.end();
  });
}

/** The first field path (keys included) whose text holds U+0000, which PostgreSQL text cannot store; null when none. */
export function nulPath(value: unknown, path = '', depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path || '(value)' : null;
  if (value === null || typeof value !== 'object' || depth > 64) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) { const p = nulPath(value[i], `${path}[${i}]`, depth + 1); if (p !== null) return p; }
    return null;
  }
  for (const [k, v] of Object.entries(value)) {
    const at = path === '' ? k : `${path}.${k}`;
    if (k.includes('\u0000')) return at;
    const p = nulPath(v, at, depth + 1);
    if (p !== null) return p;
  }
  return null;
}

/** Error and not-found handlers, request metrics and spans, and a per-IP token bucket in front of every route. */
export function installCommonHandlers(app: FastifyInstance, ipLimiter: RateLimiter | null, observe?: HttpObservation): void {
  if (observe !== undefined) observeRequests(app, observe);
  app.setErrorHandler((err, req, reply) => {
    const mapped = httpError(err);
    if (mapped.status >= 500) req.log.error({ err }, 'request failed');
    if (mapped.status === 429) void reply.header('retry-after', '1');
    void reply.code(mapped.status).send(mapped.body);
  });
  // No text we store may hold U+0000 (PostgreSQL refuses it): refused up front as bad input, for
  // every route, in the body (parsed JSON; raw bodies such as FHIR's are checked by their parser),
  // the query and the path.
  app.addHook('preValidation', async (req) => {
    for (const [part, value] of [['body', typeof req.body === 'object' ? req.body : null], ['query', req.query], ['path', req.params]] as const) {
      const at = nulPath(value);
      if (at !== null) throw new CareloopError('VALIDATION_FAILED', `${part} field ${at} holds the NUL character (U+0000), which text may not contain`, { details: { field: at } });
    }
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0] ?? ''}` });
  });
  if (ipLimiter !== null) {
    app.addHook('onRequest', async (req: FastifyRequest, _reply: FastifyReply) => {
      if (!(await ipLimiter.take(`ip:${req.ip}`))) throw new CareloopError('RATE_LIMITED', 'too many requests from this address; slow down');
    });
  }
}
