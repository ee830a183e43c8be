// The pure workflow language reaching for storage, Kafka and files.
import { readFileSync } from 'node:fs'; // lint-expect: no-restricted-imports
import pg from 'pg'; // lint-expect: no-restricted-imports
import type { PgPool } from '../storage/postgres.js'; // lint-expect: import-x/no-restricted-paths
import type { Publisher } from '../kafka/publisher.js'; // lint-expect: import-x/no-restricted-paths

export function impure(pool: PgPool, publisher: Publisher): unknown[] {
  return [readFileSync, pg, pool, publisher];
}
