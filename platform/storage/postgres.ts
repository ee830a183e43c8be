import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { CareloopError } from '../errors.js';
import { caBundle } from '../service/tls.js';

export type PgPool = pg.Pool;

/** Runs fn in one transaction: COMMIT when it resolves, ROLLBACK when it throws. */
export async function withTransaction<T>(pool: PgPool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}


export interface PostgresOptions {
  url: string;
  ssl: boolean;
  /** PEM CA bundle; empty uses the system CAs. */
  caFile?: string;
  poolMax: number;
  applicationName: string;
}

export function createPgPool(opts: PostgresOptions): PgPool {
  const pool = new pg.Pool({
    connectionString: opts.url,
    ssl: opts.ssl ? { rejectUnauthorized: true, ...(caBundle(opts.caFile ?? '') ? { ca: caBundle(opts.caFile ?? '') } : {}) } : undefined,
    max: opts.poolMax,
    application_name: opts.applicationName,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

export interface Migration {
  version: string;
  name: string;
  sql: string;
  checksum: string;
}

/** Reads NNNN_name.sql files in order; the file name is the version. */
export function readMigrations(dir: string): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => {
      const sql = readFileSync(join(dir, f), 'utf8');
      return { version: f.slice(0, 4), name: f.replace(/\.sql$/, ''), sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

const LOCK_ID = 0x6361726c; // "carl": one migrator at a time across every instance

/**
 * Applies pending SQL migrations, each in its own transaction, under an advisory lock; refuses to
 * run when an applied migration's file has changed since.
 */
export async function migratePostgres(pool: PgPool, dir: string): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_ID]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const applied = new Map((await client.query<{ version: string; checksum: string }>('SELECT version, checksum FROM schema_migrations')).rows.map((r) => [r.version, r.checksum]));
    const done: string[] = [];
    for (const m of readMigrations(dir)) {
      const sum = applied.get(m.version);
      if (sum !== undefined) {
        if (sum !== m.checksum) throw new CareloopError('CONFIG_INVALID', `PostgreSQL migration ${m.name} was changed after it was applied; add a new migration instead`);
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new CareloopError('INTERNAL', `PostgreSQL migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
      done.push(m.name);
    }
    return done;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_ID]).catch(() => undefined);
    client.release();
  }
}
