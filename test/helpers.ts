import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import kafkajs from 'kafkajs';
import { loadConfig, type Config } from '../platform/config/config.js';
import type { ConfigKey } from '../platform/config/spec.js';
import { createLogger, type Logger } from '../platform/log.js';
import { applyTopics } from '../platform/kafka/admin.js';
import type { TopicSpec } from '../platform/kafka/topics.js';

/** A short unique id for names a test owns (topics, groups, organisations, patients). */
export function uniqueId(prefix = 't'): string {
  return `${prefix}${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

/** The configuration a test runs with: the environment's, plus its own topic prefix. */
export function testConfig(overrides: Partial<Record<ConfigKey, string>> = {}): Config {
  return loadConfig({ env: process.env, overrides: { 'kafka.topicPrefix': `${uniqueId('test')}.`, 'log.level': 'silent', ...overrides } });
}

/** A logger whose lines a test can read back (to prove nothing sensitive was logged). */
export function captureLogger(level = 'debug'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) { lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== '')); cb(); },
  });
  return { log: createLogger({ level, destination }), lines };
}

export const silentLogger: Logger = createLogger({ level: 'silent' });

/** Creates the given topics under the config's prefix; returns a cleanup that deletes them. */
export async function createTestTopics(cfg: Config, topics: readonly TopicSpec[]): Promise<() => Promise<void>> {
  await applyTopics({ brokers: cfg.kafka.brokers, ssl: cfg.kafka.ssl, prefix: cfg.kafka.topicPrefix, partitionScale: 1, replicationFactor: 1, topics });
  return async () => {
    const admin = new kafkajs.Kafka({ clientId: 'careloop-test', brokers: [...cfg.kafka.brokers], logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: topics.map((t) => cfg.kafka.topicPrefix + t.name) });
    } finally {
      await admin.disconnect();
    }
  };
}

/** Polls until the probe returns a value (not undefined) or the time is up. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}
