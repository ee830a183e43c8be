import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CareloopError, toHttpError } from '../platform/errors.js';
import type { RateLimiter } from '../platform/stores/rate-limit.js';
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

/** Error and not-found handlers, and a per-IP token bucket in front of every route. */
export function installCommonHandlers(app: FastifyInstance, ipLimiter: RateLimiter | null): void {
  app.setErrorHandler((err, req, reply) => {
    const mapped = httpError(err);
    if (mapped.status >= 500) req.log.error({ err }, 'request failed');
    if (mapped.status === 429) void reply.header('retry-after', '1');
    void reply.code(mapped.status).send(mapped.body);
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
