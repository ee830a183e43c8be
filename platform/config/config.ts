import { readFileSync } from 'node:fs';
import { CareloopError } from '../errors.js';
import { didYouMean } from '../text/did-you-mean.js';
import { CONFIG_SPEC, envName, type ConfigKey, type KeyType } from './spec.js';

export type Milliseconds = number;

export interface Config {
  readonly env: 'development' | 'test' | 'production';
  readonly debug: boolean;
  readonly log: { readonly level: string; readonly pretty: boolean };
  readonly stack: {
    readonly dir: string; readonly host: string;
    readonly kafkaPort: number; readonly kafkaControllerPort: number; readonly registryPort: number;
    readonly postgresPort: number; readonly redisPort: number;
    readonly clickhouseHttpPort: number; readonly clickhouseTcpPort: number;
    readonly kafkaVersion: string; readonly apicurioVersion: string; readonly javaHeap: string;
    readonly startTimeout: Milliseconds;
  };
  readonly kafka: {
    readonly driver: 'kafkajs' | 'rdkafka'; readonly brokers: readonly string[]; readonly clientId: string;
    readonly topicPrefix: string; readonly ssl: boolean; readonly caFile: string; readonly replicationFactor: number; readonly partitionScale: number;
    readonly saslMechanism: 'none' | 'plain' | 'scram-sha-256' | 'scram-sha-512'; readonly saslUsername: string; readonly saslPassword: string; readonly saslPasswordFile: string;
  };
  readonly registry: { readonly url: string };
  readonly postgres: { readonly url: string; readonly ssl: boolean; readonly poolMax: number; readonly caFile: string; readonly vaultUrl: string };
  readonly redis: { readonly url: string; readonly keyPrefix: string };
  readonly clickhouse: { readonly url: string; readonly database: string; readonly user: string; readonly password: string; readonly retentionMonths: number };
  readonly services: { readonly host: string; readonly opsPort: number; readonly apiPort: number; readonly gatewayPort: number; readonly tlsCertFile: string; readonly tlsKeyFile: string; readonly twilioPort: number };
  readonly crypto: { readonly masterKey: string; readonly masterKeyFile: string; readonly previousMasterKeyFile: string; readonly keyCacheTtl: Milliseconds };
  readonly gateway: { readonly heartbeatInterval: Milliseconds; readonly rateLimitBurst: number; readonly rateLimitPerMinute: number; readonly maxFrameBytes: number; readonly resendWindow: Milliseconds; readonly allowedOrigins: string; readonly historyLines: number };
  readonly delivery: { readonly dedupeWindow: Milliseconds; readonly fallbackAfter: Milliseconds; readonly fallbackPollInterval: Milliseconds };
  readonly push: { readonly vapidKeyFile: string; readonly vapidSubject: string; readonly fcmServiceAccountFile: string; readonly fcmTokenUrl: string; readonly fcmApiUrl: string; readonly caFile: string; readonly chatUrl: string };
  readonly sms: {
    readonly webhookBaseUrl: string; readonly apiBaseUrl: string; readonly longCodeRate: number; readonly tollFreeRate: number; readonly shortCodeRate: number;
    readonly validityPeriod: Milliseconds; readonly maxAttempts: number; readonly retryBackoff: Milliseconds; readonly pollInterval: Milliseconds; readonly claimBatch: number;
  };
  readonly auth: {
    readonly sessionSecret: string; readonly sessionSecretFile: string; readonly sessionTtl: Milliseconds;
    readonly staffIssuer: string; readonly staffAudience: string; readonly staffJwksUrl: string; readonly staffJwksFile: string;
    readonly organizationClaim: string; readonly roleClaim: string;
  };
  readonly idp: { readonly enabled: boolean; readonly port: number };
  readonly api: { readonly rateLimitBurst: number; readonly rateLimitPerMinute: number; readonly maxBodyBytes: number };
  readonly verification: { readonly maxFailures: number; readonly lockout: Milliseconds; readonly codeTtl: Milliseconds };
  readonly audit: { readonly anchorInterval: Milliseconds };
  readonly reminders: {
    readonly enabled: boolean; readonly shards: number; readonly planHorizon: Milliseconds; readonly indexHorizon: Milliseconds;
    readonly pollInterval: Milliseconds; readonly indexInterval: Milliseconds; readonly planInterval: Milliseconds;
    readonly visibilityTimeout: Milliseconds; readonly batchSize: number; readonly refillLeadDays: number; readonly refillTime: string; readonly organizations: string;
    readonly rules: boolean; readonly doseWindow: Milliseconds; readonly spreadWindow: Milliseconds;
    readonly caregiverSweepInterval: Milliseconds; readonly dispatchConcurrency: number; readonly retention: Milliseconds;
  };
  readonly inbox: {
    readonly slaUrgent: Milliseconds; readonly slaHigh: Milliseconds; readonly slaNormal: Milliseconds; readonly slaLow: Milliseconds;
    readonly ackTimeout: Milliseconds; readonly pollInterval: Milliseconds; readonly webhookTimeout: Milliseconds; readonly overdueInterval: Milliseconds;
  };
  readonly telemetry: { readonly otlpEndpoint: string; readonly sampleRatio: number; readonly serviceName: string };
  readonly consumer: {
    readonly maxRetries: number; readonly retryBackoff: Milliseconds; readonly sessionTimeout: Milliseconds; readonly instanceId: string;
    readonly partitionConcurrency: number; readonly keyConcurrency: number;
  };
  readonly profiling: { readonly scoreCheckInterval: Milliseconds };
  readonly booking: { readonly hospitalTimeout: Milliseconds; readonly offerHorizon: Milliseconds; readonly reconcileInterval: Milliseconds };
  readonly clock: { readonly offset: Milliseconds };
}

export interface ConfigSources {
  /** The process environment; only CARELOOP_* variables are read. */
  env?: Record<string, string | undefined>;
  /** A JSON file of nested keys ({"kafka": {"driver": "rdkafka"}}); CARELOOP_CONFIG names one too. */
  file?: string;
  /** Overrides from code (tests, the CLI's flags), by dotted key. */
  overrides?: Partial<Record<ConfigKey, string | number | boolean | readonly string[]>>;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "500ms", "30s", "5m", "1h", "31d" → milliseconds; undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text.trim());
  const unit = m?.[2];
  if (m === null || unit === undefined) return undefined;
  return Math.round(Number(m[1]) * (DURATION_UNITS[unit] ?? 1));
}

function bad(key: string, source: string, why: string): CareloopError {
  return new CareloopError('CONFIG_INVALID', `config key "${key}" (${source}) ${why}`, { details: { key, source } });
}

function parseValue(key: string, type: KeyType, raw: unknown, source: string): unknown {
  const text = Array.isArray(raw) ? raw.join(',') : String(raw);
  switch (type.kind) {
    case 'string':
      if (typeof raw !== 'string' && source !== 'override') throw bad(key, source, 'must be a string');
      if (type.nonEmpty === true && text.trim() === '') throw bad(key, source, 'must not be empty');
      return text;
    case 'int': case 'port': {
      const n = Number(text);
      const [min, max] = type.kind === 'port' ? [1, 65535] : [type.min, type.max];
      if (!/^-?\d+$/.test(text.trim()) || n < min || n > max) throw bad(key, source, `must be a whole number from ${min} to ${max}, got "${text}"`);
      return n;
    }
    case 'bool':
      if (['true', '1', 'yes', 'on'].includes(text.toLowerCase())) return true;
      if (['false', '0', 'no', 'off'].includes(text.toLowerCase())) return false;
      throw bad(key, source, `must be true or false, got "${text}"`);
    case 'enum':
      if (!type.values.includes(text)) throw bad(key, source, `must be one of ${type.values.join(', ')}; got "${text}"`);
      return text;
    case 'list': {
      const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
      if (items.length === 0) throw bad(key, source, 'must list at least one item (comma-separated)');
      return Object.freeze(items);
    }
    case 'duration': {
      const ms = parseDuration(text);
      if (ms === undefined) throw bad(key, source, `must be a duration such as 500ms, 30s, 5m, 1h; got "${text}"`);
      return ms;
    }
    case 'url': {
      let url: URL;
      try { url = new URL(text); } catch { throw bad(key, source, `must be a URL; got an unparsable value`); }
      if (!type.protocols.includes(url.protocol)) throw bad(key, source, `must use ${type.protocols.join(' or ')}; got ${url.protocol}`);
      return text;
    }
    case 'ratio': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw bad(key, source, `must be a number from 0 to 1, got "${text}"`);
      return n;
    }
    default: {
      const never: never = type;
      return never;
    }
  }
}

/** Flattens {"a": {"b": 1}} into {"a.b": 1}, rejecting keys the spec does not know. */
function flattenFile(obj: unknown, file: string, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new CareloopError('CONFIG_INVALID', `config file ${file} must hold a JSON object${prefix ? ` at "${prefix}"` : ''}`);
  }
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (key in CONFIG_SPEC) { out.set(key, v); continue; }
    const isSection = Object.keys(CONFIG_SPEC).some((s) => s.startsWith(key + '.'));
    if (isSection && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [fk, fv] of flattenFile(v, file, key)) out.set(fk, fv);
      continue;
    }
    throw new CareloopError('CONFIG_UNKNOWN_KEY', `config file ${file} has an unknown key "${key}"${suggest(key)}`, { details: { key } });
  }
  return out;
}

const SEE_KEYS = '; run `careloop config --help` for the list of keys';

function suggest(key: string): string {
  const lower = key.toLowerCase();
  const sameLeaf = Object.keys(CONFIG_SPEC).find((k) => k.toLowerCase() === lower || k.toLowerCase().endsWith('.' + lower.split('.').pop()));
  return sameLeaf !== undefined ? `; did you mean "${sameLeaf}"?` : didYouMean(key, Object.keys(CONFIG_SPEC), SEE_KEYS);
}

function readFile(path: string): unknown {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (err) {
    throw new CareloopError('CONFIG_INVALID', `cannot read config file ${path}: ${(err as Error).message}`);
  }
  try { return JSON.parse(text); } catch (err) {
    throw new CareloopError('CONFIG_INVALID', `config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Builds the nested object from flat dotted keys. */
function nest(flat: Map<string, unknown>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of flat) {
    const parts = key.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1] as string] = value;
  }
  return root;
}

function deepFreeze<T>(obj: T): T {
  if (obj !== null && typeof obj === 'object') {
    for (const v of Object.values(obj)) deepFreeze(v);
    Object.freeze(obj);
  }
  return obj;
}

/**
 * Compiles configuration once: defaults, then the file, then CARELOOP_* variables, then overrides;
 * every value parsed and converted (durations to ms); unknown keys fail with their name.
 */
export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? {};
  const known = new Map(Object.keys(CONFIG_SPEC).map((k) => [envName(k), k]));
  for (const name of Object.keys(env)) {
    if (name.startsWith('CARELOOP_') && name !== 'CARELOOP_CONFIG' && !known.has(name)) {
      throw new CareloopError('CONFIG_UNKNOWN_KEY', `unknown environment variable ${name}${didYouMean(name, known.keys(), SEE_KEYS)}`, { details: { key: name } });
    }
  }
  const raw = new Map<string, { value: unknown; source: string }>();
  for (const [key, spec] of Object.entries(CONFIG_SPEC)) {
    if ('default' in spec) raw.set(key, { value: spec.default, source: 'default' });
  }
  const file = sources.file ?? env['CARELOOP_CONFIG'];
  if (file !== undefined && file !== '') {
    for (const [key, value] of flattenFile(readFile(file), file)) raw.set(key, { value, source: `file ${file}` });
  }
  for (const [name, key] of known) {
    const value = env[name];
    if (value !== undefined) raw.set(key, { value, source: `env ${name}` });
  }
  for (const [key, value] of Object.entries(sources.overrides ?? {})) {
    if (!(key in CONFIG_SPEC)) throw new CareloopError('CONFIG_UNKNOWN_KEY', `unknown config key "${key}"${suggest(key)}`);
    raw.set(key, { value, source: 'override' });
  }
  const flat = new Map<string, unknown>();
  for (const [key, { value, source }] of raw) {
    flat.set(key, parseValue(key, CONFIG_SPEC[key as ConfigKey].type, value, source));
  }
  deriveDefaults(flat);
  return deepFreeze(nest(flat)) as unknown as Config;
}

/** Connection URLs default to the local stack's ports, so one port setting moves both ends. */
function deriveDefaults(flat: Map<string, unknown>): void {
  const host = flat.get('stack.host') as string;
  const p = (k: string): number => flat.get(k) as number;
  const defaults: Record<string, unknown> = {
    'kafka.brokers': Object.freeze([`${host}:${p('stack.kafkaPort')}`]),
    'registry.url': `http://${host}:${p('stack.registryPort')}/apis/ccompat/v7`,
    'postgres.url': `postgres://careloop:careloop@${host}:${p('stack.postgresPort')}/careloop`,
    'redis.url': `redis://${host}:${p('stack.redisPort')}`,
    'clickhouse.url': `http://${host}:${p('stack.clickhouseHttpPort')}`,
  };
  for (const [key, value] of Object.entries(defaults)) if (!flat.has(key)) flat.set(key, value);
  if (!flat.has('postgres.vaultUrl')) flat.set('postgres.vaultUrl', flat.get('postgres.url'));
}

/** The key list for `--help`: name, environment variable, default and meaning. */
export function describeConfig(): string {
  return Object.entries(CONFIG_SPEC)
    .map(([key, spec]) => `  ${key.padEnd(28)} ${envName(key).padEnd(40)} ${'default' in spec ? `[${spec.default || '""'}] ` : '[derived] '}${spec.doc}`)
    .join('\n');
}
