import { createHash } from 'node:crypto';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { CareloopError } from '../errors.js';
import { readMigrations } from './postgres.js';

export type { ClickHouseClient };

export interface ClickHouseOptions {
  url: string;
  database: string;
  user: string;
  password: string;
}

/**
 * A client for the analytics store. Every statement we send must run on the old 18.16 server and
 * on current ClickHouse: no TTL, DateTime64, query parameters or JSONCompactEachRow.
 */
export function createClickHouse(opts: ClickHouseOptions, database: string | null = opts.database): ClickHouseClient {
  return createClient({
    url: opts.url,
    username: opts.user,
    password: opts.password,
    ...(database === null ? {} : { database }),
    request_timeout: 30_000,
    compression: { request: false, response: false },
  });
}

/** Splits a migration file into statements (one per HTTP request), dropping comments. */
export function splitStatements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((l) => !l.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function assertIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new CareloopError('CONFIG_INVALID', `"${name}" is not a valid ClickHouse database name`);
  return name;
}

/**
 * Creates the database and applies pending migrations (files use {db} for the database name).
 * ClickHouse has no transactions: each statement is idempotent (IF NOT EXISTS) so a rerun heals.
 */
export async function migrateClickHouse(opts: ClickHouseOptions, dir: string): Promise<string[]> {
  const db = assertIdentifier(opts.database);
  const admin = createClickHouse(opts, null);
  try {
    await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
    await admin.command({ query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version String, name String, checksum String, applied_at DateTime) ENGINE = MergeTree() ORDER BY version` });
    const rs = await admin.query({ query: `SELECT version, checksum FROM ${db}.schema_migrations`, format: 'JSONEachRow' });
    const applied = new Map((await rs.json<{ version: string; checksum: string }>()).map((r) => [r.version, r.checksum]));
    const done: string[] = [];
    for (const m of readMigrations(dir)) {
      const sql = m.sql.replaceAll('{db}', db);
      const sum = createHash('sha256').update(sql).digest('hex');
      const have = applied.get(m.version);
      if (have !== undefined) {
        if (have !== sum) throw new CareloopError('CONFIG_INVALID', `ClickHouse migration ${m.name} was changed after it was applied; add a new migration instead`);
        continue;
      }
      for (const statement of splitStatements(sql)) await admin.command({ query: statement });
      await admin.insert({
        table: `${db}.schema_migrations`,
        values: [{ version: m.version, name: m.name, checksum: sum, applied_at: Math.floor(Date.now() / 1000) }],
        format: 'JSONEachRow',
      });
      done.push(m.name);
    }
    return done;
  } finally {
    await admin.close();
  }
}
