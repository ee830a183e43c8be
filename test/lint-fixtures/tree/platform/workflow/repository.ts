// The workflow store is the named I/O edge of the folder: storage is allowed here.
import pg from 'pg';
import type { PgPool } from '../storage/postgres.js';

export function repository(pool: PgPool): unknown[] {
  return [pg, pool];
}
