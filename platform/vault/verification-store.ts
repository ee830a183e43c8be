import type { PgPool } from '../storage/postgres.js';
import { withTransaction, type Queryable } from './store.js';
import type { AttemptState } from './verification-policy.js';

export interface StoredCode {
  id: string;
  patientId: string;
  targetDigest: Buffer;
  codeHash: Buffer;
  createdAt: Date;
  expiresAt: Date;
  consumedAt: Date | null;
}

/** Code operations; inside withCounters they run in the counters' transaction. */
export interface CodeStore {
  saveCode(organizationId: string, subjectDigest: Buffer, code: StoredCode): Promise<void>;
  /** The subject's most recent code: issuing a new code supersedes the older ones. */
  latestCode(organizationId: string, subjectDigest: Buffer): Promise<StoredCode | undefined>;
  /** Marks a code used; false when it already was. */
  consumeCode(organizationId: string, id: string, now: Date): Promise<boolean>;
}

export type CounterFn<T> = (states: AttemptState[], codes: CodeStore) => Promise<{ value: T; next: AttemptState[] }>;

/** Durable attempt counters and one-time codes; keys and subjects arrive as keyed digests only. */
export interface VerificationStore extends CodeStore {
  /**
   * Runs fn while holding the counters of every key exclusively (so parallel guesses are counted
   * one after another, never racing past the limit) and saves the states fn returns. fn must do
   * its I/O through the CodeStore it is given: other calls could wait on the connection it holds.
   */
  withCounters<T>(organizationId: string, keys: readonly Buffer[], fn: CounterFn<T>): Promise<T>;
}

interface CodeRow {
  id: string; patient_id: string; target_digest: Buffer; code_hash: Buffer; created_at: Date; expires_at: Date; consumed_at: Date | null;
}

/** Code statements on the pool or on a transaction's client. */
export class PgCodeStore implements CodeStore {
  constructor(private readonly q: Queryable) {}

  async saveCode(organizationId: string, subjectDigest: Buffer, c: StoredCode): Promise<void> {
    await this.q.query(
      `INSERT INTO vault.verification_codes (id, organization_id, subject_digest, target_digest, patient_id, code_hash, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [c.id, organizationId, subjectDigest, c.targetDigest, c.patientId, c.codeHash, c.createdAt, c.expiresAt]);
  }

  async latestCode(organizationId: string, subjectDigest: Buffer): Promise<StoredCode | undefined> {
    const { rows } = await this.q.query<CodeRow>(
      `SELECT id, patient_id, target_digest, code_hash, created_at, expires_at, consumed_at FROM vault.verification_codes
        WHERE organization_id = $1 AND subject_digest = $2 ORDER BY created_at DESC, id DESC LIMIT 1`, [organizationId, subjectDigest]);
    const r = rows[0];
    if (r === undefined) return undefined;
    return { id: r.id, patientId: r.patient_id, targetDigest: r.target_digest, codeHash: r.code_hash, createdAt: r.created_at, expiresAt: r.expires_at, consumedAt: r.consumed_at };
  }

  async consumeCode(organizationId: string, id: string, now: Date): Promise<boolean> {
    const { rowCount } = await this.q.query(
      'UPDATE vault.verification_codes SET consumed_at = $3 WHERE id = $1 AND organization_id = $2 AND consumed_at IS NULL', [id, organizationId, now]);
    return rowCount === 1;
  }
}

export class PgVerificationStore extends PgCodeStore implements VerificationStore {
  constructor(private readonly pool: PgPool) {
    super(pool);
  }

  async withCounters<T>(organizationId: string, keys: readonly Buffer[], fn: CounterFn<T>): Promise<T> {
    return withTransaction(this.pool, async (client) => {
      await client.query(
        `INSERT INTO vault.verification_counters (organization_id, key_digest) SELECT $1, k FROM unnest($2::bytea[]) AS k
         ON CONFLICT DO NOTHING`, [organizationId, [...keys]]);
      // Locked in digest order, so two attempts sharing keys cannot deadlock.
      const { rows } = await client.query<{ key_digest: Buffer; failures: number; locked_until: Date | null }>(
        `SELECT key_digest, failures, locked_until FROM vault.verification_counters
          WHERE organization_id = $1 AND key_digest = ANY($2::bytea[]) ORDER BY key_digest FOR UPDATE`, [organizationId, [...keys]]);
      const byKey = new Map(rows.map((r) => [r.key_digest.toString('hex'), { failures: r.failures, lockedUntil: r.locked_until }]));
      const states = keys.map((k) => byKey.get(k.toString('hex')) ?? { failures: 0, lockedUntil: null });
      const { value, next } = await fn(states, new PgCodeStore(client));
      for (const [i, key] of keys.entries()) {
        const s = next[i];
        if (s === undefined) continue;
        await client.query(
          'UPDATE vault.verification_counters SET failures = $3, locked_until = $4, updated_at = now() WHERE organization_id = $1 AND key_digest = $2',
          [organizationId, key, s.failures, s.lockedUntil]);
      }
      return value;
    });
  }
}
