import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { LookupCache } from '../cache/lookup-cache.js';
import type { PgPool } from '../storage/postgres.js';
import { CareloopError } from '../errors.js';
import { open, seal, type Sealed } from './envelope.js';
import type { MasterKeyProvider } from './master-key.js';

/** keyId of an organisation data key: "<organizationId>/v<version>". */
export function orgKeyId(organizationId: string, version: number): string {
  return `${organizationId}/v${version}`;
}

export function parseOrgKeyId(keyId: string): { organizationId: string; version: number } {
  const m = /^(.+)\/v(\d+)$/.exec(keyId);
  if (m === null) throw new CareloopError('RECORD_INVALID', `not an organisation key id: ${keyId}`);
  return { organizationId: m[1] as string, version: Number(m[2]) };
}

/** The associated data that binds encrypted chat text to its organisation and patient. */
export function textAad(organizationId: string, patientId: string): string {
  return `careloop:text:${organizationId}:${patientId}`;
}

/** The context a master key binds an organisation data key to when wrapping it. */
export function orgKeyContext(keyId: string): string {
  return `careloop:org-key:${keyId}`;
}

/** What a master key rotation did; failed lists key ids no known master key could unwrap. */
export interface RewrapResult {
  rewrapped: number;
  alreadyCurrent: number;
  failed: string[];
}

interface KeyRow {
  organization_id: string;
  version: number;
  wrapped_key: Buffer;
  master_key_id: string;
}

/**
 * Per-organisation data keys (envelope encryption): each is random, stored only wrapped by the master
 * key in vault.organization_keys, unwrapped on demand and cached briefly in memory. Encryption uses
 * the newest version; every version stays readable until retired keys are destroyed.
 */
export class Keyring {
  /** Unwrapped data keys by key id, for ttlMs. */
  private readonly cache: LookupCache<Buffer>;
  /** Each organisation's current key id, for ttlMs. */
  private readonly active: LookupCache<string>;
  /** Every master key this process may unwrap with, by id: rows name theirs in master_key_id. */
  private readonly masters = new Map<string, MasterKeyProvider>();
  private master: MasterKeyProvider;

  constructor(
    private readonly pool: PgPool,
    master: MasterKeyProvider,
    ttlMs: number,
    now: () => number = Date.now,
  ) {
    this.master = master;
    this.masters.set(master.id, master);
    this.cache = new LookupCache(ttlMs, 100_000, now);
    this.active = new LookupCache(ttlMs, 100_000, now);
  }

  private context(keyId: string): string {
    return orgKeyContext(keyId);
  }

  /** The organisation's current key, created on first use. */
  async activeKey(organizationId: string): Promise<{ keyId: string; key: Buffer }> {
    const keyId = await this.active.get(organizationId, async () => {
      let row = await this.latest(organizationId);
      if (row === undefined) {
        await this.createVersion(organizationId, 1);
        row = await this.latest(organizationId);
      }
      if (row === undefined) throw new CareloopError('INTERNAL', 'organisation key could not be created');
      return orgKeyId(organizationId, row.version);
    });
    return { keyId, key: await this.keyById(keyId) };
  }

  private async latest(organizationId: string): Promise<{ version: number } | undefined> {
    const { rows } = await this.pool.query<{ version: number }>(
      'SELECT version FROM vault.organization_keys WHERE organization_id = $1 AND retired_at IS NULL ORDER BY version DESC LIMIT 1', [organizationId]);
    return rows[0];
  }

  private async createVersion(organizationId: string, version: number): Promise<void> {
    const keyId = orgKeyId(organizationId, version);
    const wrapped = await this.master.wrap(randomBytes(32), this.context(keyId));
    await this.pool.query(
      'INSERT INTO vault.organization_keys (organization_id, version, wrapped_key, master_key_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [organizationId, version, wrapped, this.master.id]);
  }

  /** Adds a new key version for the organisation; new data uses it, old data stays readable. */
  async rotateOrganizationKey(organizationId: string): Promise<string> {
    const current = await this.latest(organizationId);
    const next = (current?.version ?? 0) + 1;
    await this.createVersion(organizationId, next);
    this.active.delete(organizationId);
    return orgKeyId(organizationId, next);
  }

  /** The id of the organisation's newest key version, read from the database (not the cache). */
  async currentKeyId(organizationId: string): Promise<string> {
    const row = await this.latest(organizationId);
    if (row === undefined) throw new CareloopError('NOT_FOUND', `organisation ${organizationId} has no data key yet`);
    return orgKeyId(organizationId, row.version);
  }

  /** Versions of the organisation retired before `before`, locked in the caller's transaction. */
  async lockRetiredVersions(tx: pg.PoolClient, organizationId: string, before: Date): Promise<number[]> {
    const { rows } = await tx.query<{ version: number }>(
      'SELECT version FROM vault.organization_keys WHERE organization_id = $1 AND retired_at IS NOT NULL AND retired_at < $2 ORDER BY version FOR UPDATE',
      [organizationId, before]);
    return rows.map((r) => r.version);
  }

  /** Destroys key versions (in the caller's transaction); callers clear the cache after commit. */
  async deleteVersions(tx: pg.PoolClient, organizationId: string, versions: readonly number[]): Promise<void> {
    if (versions.length > 0) await tx.query('DELETE FROM vault.organization_keys WHERE organization_id = $1 AND version = ANY($2)', [organizationId, [...versions]]);
  }

  /** Marks the organisation's versions older than keyId retired: kept to read old data, never used to seal. */
  async retireVersionsBefore(organizationId: string, keyId: string): Promise<void> {
    const { version } = parseOrgKeyId(keyId);
    await this.pool.query('UPDATE vault.organization_keys SET retired_at = now() WHERE organization_id = $1 AND version < $2 AND retired_at IS NULL', [organizationId, version]);
  }

  keyById(keyId: string): Promise<Buffer> {
    return this.cache.get(keyId, async () => {
      const { organizationId, version } = parseOrgKeyId(keyId);
      const { rows } = await this.pool.query<{ wrapped_key: Buffer; master_key_id: string }>(
        'SELECT wrapped_key, master_key_id FROM vault.organization_keys WHERE organization_id = $1 AND version = $2', [organizationId, version]);
      const row = rows[0];
      if (row === undefined) throw new CareloopError('RECORD_INVALID', `unknown data key ${keyId}`);
      const master = this.masters.get(row.master_key_id);
      if (master === undefined) {
        // Not a damaged record: this process was given another master key than the one that wrapped it.
        throw new CareloopError('CONFIG_INVALID', `data key ${keyId} is wrapped by master key ${row.master_key_id}, which this process does not have (its key is ${this.master.id}): `
          + 'configure that key (crypto.masterKeyFile, or crypto.previousMasterKeyFile during a rotation); on a development stack whose .stack/master.key was replaced, stop the stack and delete .stack/ to start from empty data');
      }
      return master.unwrap(row.wrapped_key, this.context(keyId));
    });
  }

  /** Encrypts chat text (or any patient-bound string) with the organisation's current key. */
  async sealText(organizationId: string, patientId: string, text: string): Promise<Sealed> {
    const { keyId, key } = await this.activeKey(organizationId);
    return seal(key, keyId, text, textAad(organizationId, patientId));
  }

  async openText(organizationId: string, patientId: string, sealed: Sealed): Promise<string> {
    if (parseOrgKeyId(sealed.keyId).organizationId !== organizationId) {
      throw new CareloopError('RECORD_INVALID', 'encrypted text belongs to another organisation');
    }
    return open(await this.keyById(sealed.keyId), sealed, textAad(organizationId, patientId)).toString('utf8');
  }

  /**
   * Lets this process unwrap keys wrapped by another master key. During a rotation every process
   * trusts both the old and the new key, so reads keep working whichever one wraps a row.
   */
  trustMasterKey(provider: MasterKeyProvider): void {
    this.masters.set(provider.id, provider);
  }

  /**
   * Re-wraps organisation data keys under newMaster, which also wraps every key made from now on.
   * Data keys themselves do not change, so no data is re-encrypted. Each row is swapped with a
   * compare-and-set on master_key_id: concurrent readers always find a key they can unwrap, and a
   * rerun resumes after a failure. organizationIds limits the run (a canary, or a test).
   */
  async rewrapOrganizationKeys(newMaster: MasterKeyProvider, opts: { organizationIds?: readonly string[]; batchSize?: number } = {}): Promise<RewrapResult> {
    this.trustMasterKey(newMaster);
    this.master = newMaster;
    const scope = opts.organizationIds === undefined ? null : [...opts.organizationIds];
    const result: RewrapResult = { rewrapped: 0, alreadyCurrent: 0, failed: [] };
    let after: [string, number] = ['', 0];
    for (;;) {
      const { rows } = await this.pool.query<KeyRow>(
        `SELECT organization_id, version, wrapped_key, master_key_id FROM vault.organization_keys
          WHERE master_key_id <> $1 AND ($2::text[] IS NULL OR organization_id = ANY($2)) AND (organization_id, version) > ($3, $4)
          ORDER BY organization_id, version LIMIT $5`,
        [newMaster.id, scope, after[0], after[1], opts.batchSize ?? 500]);
      for (const row of rows) await this.rewrapRow(row, newMaster, result);
      const last = rows[rows.length - 1];
      if (last === undefined) break;
      after = [last.organization_id, last.version];
    }
    const { rows } = await this.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM vault.organization_keys WHERE master_key_id = $1 AND ($2::text[] IS NULL OR organization_id = ANY($2))', [newMaster.id, scope]);
    result.alreadyCurrent = Number(rows[0]?.n ?? 0) - result.rewrapped;
    return result;
  }

  private async rewrapRow(row: KeyRow, newMaster: MasterKeyProvider, result: RewrapResult): Promise<void> {
    const keyId = orgKeyId(row.organization_id, row.version);
    const old = this.masters.get(row.master_key_id);
    let dataKey: Buffer;
    try {
      if (old === undefined) throw new CareloopError('CONFIG_INVALID', `master key ${row.master_key_id} is not configured`);
      dataKey = await old.unwrap(row.wrapped_key, this.context(keyId));
    } catch {
      result.failed.push(keyId); // reported, not fatal: one unreadable key must not stop the others
      return;
    }
    const wrapped = await newMaster.wrap(dataKey, this.context(keyId));
    const { rowCount } = await this.pool.query(
      'UPDATE vault.organization_keys SET wrapped_key = $1, master_key_id = $2 WHERE organization_id = $3 AND version = $4 AND master_key_id = $5',
      [wrapped, newMaster.id, row.organization_id, row.version, row.master_key_id]);
    result.rewrapped += rowCount ?? 0;
  }

  /** Forgets unwrapped keys (after a rotation or in tests). */
  clearCache(): void {
    this.cache.clear();
    this.active.clear();
  }
}
