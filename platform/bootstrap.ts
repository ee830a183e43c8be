import { join } from 'node:path';
import type { Config } from './config/config.js';
import { SchemaCatalogue } from './avro/catalogue.js';
import { applyTopics, type TopicChange } from './kafka/admin.js';
import { allTopics } from './kafka/topics.js';
import { kafkaSecurity } from './kafka/security.js';
import { repoRoot } from './paths.js';
import { migrateClickHouse } from './storage/clickhouse.js';
import { createPgPool, migratePostgres } from './storage/postgres.js';
import { Keyring } from './crypto/keyring.js';
import { loadMasterKey } from './crypto/master-key.js';
import { sealCarePlanBacklog } from './stores/care-plan-text.js';

export interface PrepareReport {
  topics: TopicChange[];
  subjects: number;
  postgresMigrations: string[];
  clickhouseMigrations: string[];
  /** Care-plan rows whose plaintext was sealed (0060_care_plan_sealed); null when skipped (env test). */
  carePlanSealed: { sealed: number; failed: string[] } | null;
}

/**
 * Brings the shared resources to the declared state, idempotently: Kafka topics, Avro subjects
 * (BACKWARD compatible), PostgreSQL and ClickHouse migrations. Runs before services start.
 */
export async function prepare(cfg: Config, progress: (step: string) => void = () => undefined): Promise<PrepareReport> {
  const root = repoRoot();
  progress('applying Kafka topics');
  const topics = await applyTopics({
    brokers: cfg.kafka.brokers, ...kafkaSecurity(cfg), prefix: cfg.kafka.topicPrefix,
    partitionScale: cfg.kafka.partitionScale, replicationFactor: cfg.kafka.replicationFactor,
  });
  progress('registering Avro schemas');
  const catalogue = new SchemaCatalogue({ registryUrl: cfg.registry.url, schemasDir: join(root, 'schemas/avro'), topicPrefix: cfg.kafka.topicPrefix });
  const subjects = await catalogue.registerTopics(allTopics());
  progress('migrating PostgreSQL');
  const pool = createPgPool({ ...cfg.postgres, poolMax: 1, applicationName: 'careloop-migrate' });
  let postgresMigrations: string[];
  try {
    postgresMigrations = await migratePostgres(pool, join(root, 'platform/storage/migrations/postgres'));
  } finally {
    await pool.end();
  }
  if (cfg.postgres.vaultUrl !== cfg.postgres.url) {
    // The same migrations: the vault and audit schemas are used there, the rest stays empty.
    progress('migrating the vault database');
    const vault = createPgPool({ ...cfg.postgres, url: cfg.postgres.vaultUrl, poolMax: 1, applicationName: 'careloop-migrate' });
    try { await migratePostgres(vault, join(root, 'platform/storage/migrations/postgres')); } finally { await vault.end(); }
  }
  const carePlanSealed = cfg.env === 'test' ? null : await sealCarePlanRows(cfg, root, progress);
  progress('migrating ClickHouse');
  const clickhouseMigrations = await migrateClickHouse(cfg.clickhouse, join(root, 'platform/storage/migrations/clickhouse'));
  return { topics, subjects: subjects.size, postgresMigrations, clickhouseMigrations, carePlanSealed };
}

/**
 * Seals the care-plan text still in plaintext (rows from before 0060_care_plan_sealed). Skipped in
 * the test environment: tests share one database, and a test seeding plaintext rows through an
 * older writer must not see them sealed under it; the function has its own test.
 */
async function sealCarePlanRows(cfg: Config, root: string, progress: (step: string) => void): Promise<{ sealed: number; failed: string[] }> {
  progress('sealing plaintext care-plan rows');
  const pool = createPgPool({ ...cfg.postgres, poolMax: 2, applicationName: 'careloop-migrate' });
  const vault = cfg.postgres.vaultUrl === cfg.postgres.url ? pool : createPgPool({ ...cfg.postgres, url: cfg.postgres.vaultUrl, poolMax: 2, applicationName: 'careloop-migrate' });
  try {
    const keyring = new Keyring(vault, loadMasterKey({ ...cfg.crypto, env: cfg.env, devKeyFile: join(root, cfg.stack.dir, 'master.key') }), cfg.crypto.keyCacheTtl);
    const previous = cfg.crypto.previousMasterKeyFile;
    if (previous !== '') keyring.trustMasterKey(loadMasterKey({ masterKey: '', masterKeyFile: previous, env: cfg.env, devKeyFile: previous }));
    return await sealCarePlanBacklog(pool, keyring);
  } finally {
    await pool.end();
    if (vault !== pool) await vault.end();
  }
}
