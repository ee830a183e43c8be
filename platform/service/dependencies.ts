import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { Logger } from '../log.js';
import { SchemaCatalogue } from '../avro/catalogue.js';
import { createKafkaDriver } from '../kafka/driver.js';
import { Publisher } from '../kafka/publisher.js';
import { allTopics } from '../kafka/topics.js';
import type { KafkaDriver, Producer } from '../kafka/types.js';
import { repoRoot } from '../paths.js';
import { createClickHouse, type ClickHouseClient } from '../storage/clickhouse.js';
import { createPgPool, type PgPool } from '../storage/postgres.js';
import { connectRedis, type RedisClient } from '../storage/redis.js';
import { Keyring } from '../crypto/keyring.js';
import { loadMasterKey } from '../crypto/master-key.js';
import { createSecurity, type Security } from './security.js';
import type { HealthCheck } from './types.js';
import type { Metrics } from './metrics.js';

/**
 * The clients of one process, made once and shared by every service in it (so `run all` opens one
 * producer, one pool, one Redis connection). Each is created on first use and closed at shutdown.
 */
export class Dependencies {
  private readonly cache = new Map<string, Promise<unknown>>();
  private readonly closers: Array<() => Promise<void>> = [];

  /** metrics: the process's registry, so the publishers count what they produce. */
  constructor(private readonly cfg: Config, private readonly log: Logger, private readonly metrics?: Metrics) {}

  private once<T>(key: string, make: () => Promise<T>, close: (v: T) => Promise<void>): Promise<T> {
    let p = this.cache.get(key) as Promise<T> | undefined;
    if (p === undefined) {
      p = make().then((v) => {
        this.closers.push(() => close(v));
        return v;
      });
      p.catch(() => this.cache.delete(key)); // a failed start may be retried
      this.cache.set(key, p);
    }
    return p;
  }

  producer(): Promise<Producer> {
    return this.once('producer', async () => (await this.driver()).producer(), (p) => p.disconnect());
  }

  driver(): Promise<KafkaDriver> {
    return this.once('driver-instance', async () => createKafkaDriver(this.cfg, this.log), async () => undefined);
  }

  /** The catalogue with every topic's value schema registered. */
  catalogue(): Promise<SchemaCatalogue> {
    return this.once('catalogue', async () => {
      const c = new SchemaCatalogue({ registryUrl: this.cfg.registry.url, schemasDir: join(repoRoot(), 'schemas/avro'), topicPrefix: this.cfg.kafka.topicPrefix });
      await c.registerTopics(allTopics());
      return c;
    }, async () => undefined);
  }

  async publisher(): Promise<Publisher> {
    return new Publisher(await this.producer(), await this.catalogue(), this.cfg.kafka.topicPrefix, this.metrics?.recordsProduced);
  }

  postgres(): Promise<PgPool> {
    return this.once('pg', async () => createPgPool({ ...this.cfg.postgres, applicationName: 'careloop' }), (p) => p.end());
  }

  /** The vault database (vault schema: PHI, keys, verification; and the audit chain written with them); the same pool unless postgres.vaultUrl differs. */
  vaultPostgres(): Promise<PgPool> {
    if (this.cfg.postgres.vaultUrl === this.cfg.postgres.url) return this.postgres();
    return this.once('pg-vault', async () => createPgPool({ ...this.cfg.postgres, url: this.cfg.postgres.vaultUrl, applicationName: 'careloop-vault' }), (p) => p.end());
  }

  redis(): Promise<RedisClient> {
    return this.once('redis', () => connectRedis({ url: this.cfg.redis.url, name: 'careloop' }), async (c) => { await c.quit(); });
  }

  clickhouse(): Promise<ClickHouseClient> {
    return this.once('clickhouse', async () => createClickHouse(this.cfg.clickhouse), (c) => c.close());
  }

  /** Per-organisation data keys for envelope encryption of chat text and PHI. */
  keyring(): Promise<Keyring> {
    return this.once('keyring', async () => {
      const master = loadMasterKey({ ...this.cfg.crypto, env: this.cfg.env, devKeyFile: join(repoRoot(), this.cfg.stack.dir, 'master.key') });
      const keyring = new Keyring(await this.vaultPostgres(), master, this.cfg.crypto.keyCacheTtl);
      const previous = this.cfg.crypto.previousMasterKeyFile;
      if (previous !== '') keyring.trustMasterKey(loadMasterKey({ masterKey: '', masterKeyFile: previous, env: this.cfg.env, devKeyFile: previous }));
      return keyring;
    }, async () => undefined);
  }

  /** Vault, audit, API keys, staff tokens and identity verification, sharing the pool and keyring. */
  security(): Promise<Security> {
    return this.once('security', async () => createSecurity(this.cfg, await this.postgres(), await this.keyring(), await this.vaultPostgres()), async () => undefined);
  }

  /** Readiness checks for the named dependencies. */
  checks(names: ReadonlyArray<'kafka' | 'registry' | 'postgres' | 'redis' | 'clickhouse'>): HealthCheck[] {
    const all: Record<string, HealthCheck> = {
      kafka: { name: 'kafka', check: async () => { await this.producer(); } },
      registry: { name: 'registry', check: async () => { await this.catalogue(); await pingHttp(`${this.cfg.registry.url}/subjects`); } },
      postgres: { name: 'postgres', check: async () => { await (await this.postgres()).query('SELECT 1'); } },
      redis: { name: 'redis', check: async () => { await (await this.redis()).ping(); } },
      clickhouse: { name: 'clickhouse', check: async () => { const r = await (await this.clickhouse()).ping(); if (!r.success) throw r.error; } },
    };
    return names.map((n) => all[n] as HealthCheck);
  }

  async close(): Promise<void> {
    for (const close of this.closers.splice(0).reverse()) {
      await close().catch((err: unknown) => this.log.warn({ err }, 'error while closing a client'));
    }
    this.cache.clear();
  }
}

async function pingHttp(url: string): Promise<void> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
}

