import { createRequire } from 'node:module';
import { pino, type Logger, type DestinationStream } from 'pino';
import { CareloopError } from './errors.js';

export type { Logger };

/**
 * Field names that may carry PHI anywhere in a log object. pino replaces their values with
 * "[REDACTED]" at any of the listed depths; code should still never pass PHI to a logger.
 */
export const PHI_FIELDS = [
  'name', 'firstName', 'lastName', 'fullName', 'givenName', 'familyName',
  'phone', 'phoneNumber', 'mobile', 'email', 'dateOfBirth', 'birthDate', 'dob',
  'address', 'street', 'postalCode', 'zip', 'mrn', 'ssn', 'identifier', 'identifiers',
  'text', 'body', 'message_text', 'content', 'plaintext', 'token', 'authorization', 'password', 'apiKey',
] as const;

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const f of PHI_FIELDS) paths.push(f, `*.${f}`, `*.*.${f}`, `req.headers.${f}`);
  paths.push('req.headers.cookie', 'req.query.token');
  return paths;
}

/**
 * What a request log line keeps: method and path. The query string can carry a session token and
 * the client address is an identifier, so neither is logged (the audit log records who and where).
 */
export function requestSummary(req: { method?: string; url?: string; id?: unknown }): Record<string, unknown> {
  return { method: req.method, path: (req.url ?? '').split('?')[0], id: req.id };
}

export interface LoggerOptions {
  level: string;
  service?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: DestinationStream;
  /** log.pretty: coloured, one-line-per-record output through pino-pretty (a development dependency). */
  pretty?: boolean;
}

type PrettyFactory = (opts: Record<string, unknown>) => DestinationStream;

/** pino-pretty as a synchronous stream (no worker thread); refused clearly where it is not installed. */
function prettyStream(destination: DestinationStream | undefined): DestinationStream {
  let factory: PrettyFactory;
  try {
    const mod = createRequire(import.meta.url)('pino-pretty') as PrettyFactory | { default: PrettyFactory };
    factory = typeof mod === 'function' ? mod : mod.default;
  } catch {
    throw new CareloopError('CONFIG_INVALID', 'config key "log.pretty" needs pino-pretty, a development dependency (npm install --include=dev); production logs stay JSON');
  }
  return factory({ colorize: destination === undefined && process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true, ...(destination === undefined ? {} : { destination }) });
}

/** The one way to make a root logger: JSON lines, PHI paths redacted, the service named. */
export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: opts.level,
      base: opts.service === undefined ? {} : { service: opts.service },
      redact: { paths: redactPaths(), censor: '[REDACTED]' },
      serializers: { req: requestSummary },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.pretty === true ? prettyStream(opts.destination) : opts.destination,
  );
}

/** The ids every record carries; a consumer builds a child logger from them. Never PHI. */
export interface RecordIds {
  messageId?: string;
  organizationId?: string;
  patientId?: string;
  traceId?: string;
}

export function recordLogger(log: Logger, ids: RecordIds): Logger {
  const bindings: Record<string, string> = {};
  for (const [k, v] of Object.entries(ids)) if (typeof v === 'string') bindings[k] = v;
  return log.child(bindings);
}
