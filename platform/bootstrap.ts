import { join } from 'node:path';
import type { Config } from './config/config.js';
import { SchemaCatalogue } from './avro/catalogue.js';
import { applyTopics, type TopicChange } from './kafka/admin.js';
import { allTopics } from './kafka/topics.js';
import { kafkaSecurity } from './kafka/security.js';
import { repoRoot } from './paths.js';
import { migrateClickHouse } from './storage/clickhouse.js';
import { createPgPool, migratePostgres } from './storage/postgres.js';

export interface PrepareReport {
  topics: TopicChange[];
  subjects: number;
  postgresMigrations: string[];
  clickhouseMigrations: string[];
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
  progress('migrating ClickHouse');
  const clickhouseMigrations = await migrateClickHouse(cfg.clickhouse, join(root, 'platform/storage/migrations/clickhouse'));
  return { topics, subjects: subjects.size, postgresMigrations, clickhouseMigrations };
}
