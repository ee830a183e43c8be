import type { PgPool } from '../storage/postgres.js';

/**
 * Changes the audit tables the way their owner could (to test that tampering is caught): both
 * append-only triggers are disabled inside one transaction (the owner may; session_replication_role
 * would need a superuser), the statements run, and the triggers are enabled again.
 */
export async function asAuditOwner(pool: PgPool, statements: ReadonlyArray<readonly [string, unknown[]]>): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('ALTER TABLE audit.events DISABLE TRIGGER events_append_only');
    await client.query('ALTER TABLE audit.chain_heads DISABLE TRIGGER chain_heads_forward_only');
    for (const [sql, params] of statements) await client.query(sql, params);
    await client.query('ALTER TABLE audit.events ENABLE TRIGGER events_append_only');
    await client.query('ALTER TABLE audit.chain_heads ENABLE TRIGGER chain_heads_forward_only');
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}
