import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { CareloopError, toHttpError } from '../../platform/errors.js';
import type { Logger } from '../../platform/log.js';

export interface ApiAppOptions {
  log: Logger;
  version: string;
  /** Certificate and key: the API listens with TLS when given. */
  https?: { cert: Buffer; key: Buffer } | null;
  /** Largest request body accepted, bytes. */
  bodyLimit?: number;
}

/**
 * The admin and integration HTTP API, built apart from listen() so tests use inject(). Every error
 * leaves as { code, message } with a stable code; never a stack trace.
 */
export function buildApiApp(opts: ApiAppOptions): FastifyInstance {
  const app = Fastify({
    ...(opts.https ? { https: opts.https } : {}),
    loggerInstance: opts.log as FastifyBaseLogger,
    bodyLimit: opts.bodyLimit ?? 256 * 1024,
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
  });
  app.setErrorHandler((err, req, reply) => {
    const mapped = fromFastifyError(err);
    if (mapped.status >= 500) req.log.error({ err }, 'request failed');
    void reply.code(mapped.status).send(mapped.body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0] ?? ''}` });
  });
  app.get('/v1/version', async () => ({ name: 'careloop', version: opts.version }));
  return app;
}

function fromFastifyError(err: unknown): ReturnType<typeof toHttpError> {
  const e = err as { validation?: unknown; statusCode?: number; code?: string; message?: string };
  if (e.validation !== undefined) return toHttpError(new CareloopError('VALIDATION_FAILED', e.message ?? 'invalid request'));
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return toHttpError(new CareloopError('PAYLOAD_TOO_LARGE', 'request body is too large'));
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
    return toHttpError(new CareloopError('VALIDATION_FAILED', e.message ?? 'bad request'));
  }
  return toHttpError(err);
}
