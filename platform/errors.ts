/**
 * One error base for the whole product: a closed set of stable codes, a human message and a retry
 * flag. Consumer loops retry `retryable` errors with backoff and dead-letter the rest with the code.
 */
export const ERROR_CODES = {
  CONFIG_INVALID: { http: 500, retryable: false },
  CONFIG_UNKNOWN_KEY: { http: 500, retryable: false },
  VALIDATION_FAILED: { http: 400, retryable: false },
  BAD_FRAME: { http: 400, retryable: false },
  PAYLOAD_TOO_LARGE: { http: 413, retryable: false },
  UNAUTHENTICATED: { http: 401, retryable: false },
  FORBIDDEN: { http: 403, retryable: false },
  ORGANIZATION_SUSPENDED: { http: 403, retryable: false },
  NOT_FOUND: { http: 404, retryable: false },
  CONFLICT: { http: 409, retryable: false },
  RATE_LIMITED: { http: 429, retryable: true },
  VERIFICATION_FAILED: { http: 401, retryable: false },
  LOCKED_OUT: { http: 429, retryable: false },
  SCHEMA_INCOMPATIBLE: { http: 409, retryable: false },
  WORKFLOW_INVALID: { http: 422, retryable: false },
  SCHEMA_UNKNOWN: { http: 500, retryable: false },
  RECORD_UNDECODABLE: { http: 400, retryable: false },
  RECORD_INVALID: { http: 400, retryable: false },
  DEPENDENCY_UNAVAILABLE: { http: 503, retryable: true },
  TIMEOUT: { http: 504, retryable: true },
  STACK_FAILED: { http: 500, retryable: false },
  INTERNAL: { http: 500, retryable: false },
} as const satisfies Record<string, { http: number; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface CareloopErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  /** Extra, PHI-free context for logs and error bodies (a key name, a limit, a topic). */
  details?: Record<string, unknown>;
}

export class CareloopError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: CareloopErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CareloopError';
    this.code = code;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
    this.details = options.details;
  }
}

export function isCareloopError(err: unknown): err is CareloopError {
  return err instanceof CareloopError;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  // PostgreSQL: too many connections, shutting down, connection failures; serialization and deadlock retries
  '53300', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004', '40001', '40P01',
]);
/** Client errors without a code that still mean "the dependency is busy or gone", not "the record is bad". */
const TRANSIENT_MESSAGES = /timeout exceeded when trying to connect|Connection terminated|The client is closed|Socket closed unexpectedly|Connection timeout/i;

/** Turns any throw into a CareloopError; network failures become retryable DEPENDENCY_UNAVAILABLE. */
export function normalizeError(err: unknown): CareloopError {
  if (err instanceof CareloopError) return err;
  if (err instanceof Error) {
    const sysCode = (err as NodeJS.ErrnoException).code;
    if (sysCode === 'EADDRINUSE' || sysCode === 'EACCES') {
      const { address, port } = err as { address?: string; port?: number };
      const what = sysCode === 'EADDRINUSE' ? 'is already in use' : 'may not be opened by this user';
      return new CareloopError('CONFIG_INVALID', `${address ?? 'the address'}:${port ?? '?'} ${what}; stop the process holding it or choose another port (services.* config keys)`, { cause: err });
    }
    if (sysCode !== undefined && NETWORK_CODES.has(sysCode)) {
      return new CareloopError('DEPENDENCY_UNAVAILABLE', `a dependency is unreachable (${sysCode})`, { cause: err });
    }
    if (TRANSIENT_MESSAGES.test(err.message)) {
      return new CareloopError('DEPENDENCY_UNAVAILABLE', `a dependency is busy or unreachable: ${err.message}`, { cause: err });
    }
    const retriable = (err as { retriable?: unknown }).retriable === true; // kafkajs marks its transient errors so
    return new CareloopError(retriable ? 'DEPENDENCY_UNAVAILABLE' : 'INTERNAL', err.message, { cause: err, retryable: retriable });
  }
  return new CareloopError('INTERNAL', `non-error thrown: ${typeof err}`);
}

/** The HTTP status and the body every API returns for an error; never a stack trace. */
export function toHttpError(err: unknown): { status: number; body: { code: ErrorCode; message: string } } {
  const e = normalizeError(err);
  const message = e.code === 'INTERNAL' ? 'internal error; the request id in the logs identifies it' : e.message;
  return { status: ERROR_CODES[e.code].http, body: { code: e.code, message } };
}

/** The WebSocket error frame for an error, tied to the client's message id when there is one. */
export function toWsErrorFrame(err: unknown, id: string | null): { type: 'error'; id: string | null; code: ErrorCode; message: string } {
  const { body } = toHttpError(err);
  return { type: 'error', id, code: body.code, message: body.message };
}
