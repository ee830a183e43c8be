import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { testConfig, uniqueId } from '../../test/helpers.js';
import { AuditLog } from '../audit/audit-log.js';
import type { Actor } from '../audit/types.js';
import { Keyring } from '../crypto/keyring.js';
import { LocalMasterKey } from '../crypto/master-key.js';
import { repoRoot } from '../paths.js';
import { createPgPool, migratePostgres, type PgPool } from '../storage/postgres.js';
import { OrgIndexKeys } from './index-keys.js';
import { Vault } from './vault.js';

/** A vault over the real database with its own master key, for one test file. */
export interface VaultFixture {
  pool: PgPool;
  master: LocalMasterKey;
  keyring: Keyring;
  indexKeys: OrgIndexKeys;
  audit: AuditLog;
  vault: Vault;
  /** A fresh organisation id, removed from the vault tables by close(). */
  org(): string;
  close(): Promise<void>;
}

export const staff: Actor = { kind: 'staff', id: 'nurse-7', ip: '10.1.2.3', service: 'api' };

export async function vaultFixture(): Promise<VaultFixture> {
  const pool = createPgPool({ ...testConfig().postgres, applicationName: 'careloop-test' });
  await migratePostgres(pool, join(repoRoot(), 'platform/storage/migrations/postgres'));
  const master = new LocalMasterKey(randomBytes(32));
  const keyring = new Keyring(pool, master, 60_000);
  const indexKeys = new OrgIndexKeys(pool, keyring, 60_000);
  const audit = new AuditLog(pool);
  const orgs: string[] = [];
  return {
    pool, master, keyring, indexKeys, audit,
    vault: new Vault(pool, keyring, indexKeys, audit),
    org: () => { const id = uniqueId('org'); orgs.push(id); return id; },
    close: async () => {
      await cleanVault(pool, orgs);
      await pool.end();
    },
  };
}

/** Removes a test's organisations from the vault (audit rows stay: that table is append-only). */
export async function cleanVault(pool: PgPool, orgs: readonly string[]): Promise<void> {
  for (const table of ['verification_codes', 'verification_counters', 'blind_indexes', 'patient_keys', 'patients', 'organization_index_keys', 'organization_keys']) {
    await pool.query(`DELETE FROM vault.${table} WHERE organization_id = ANY($1)`, [[...orgs]]);
  }
}

/** Every value of every row of every vault table belonging to the organisation, as bytes. */
export async function rawVaultBytes(pool: PgPool, organizationId: string): Promise<Buffer[]> {
  const { rows: tables } = await pool.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.columns WHERE table_schema = 'vault' AND column_name = 'organization_id'");
  const out: Buffer[] = [];
  for (const { table_name } of tables) {
    const { rows } = await pool.query<Record<string, unknown>>(`SELECT * FROM vault.${table_name} WHERE organization_id = $1`, [organizationId]);
    for (const row of rows) {
      for (const v of Object.values(row)) {
        if (Buffer.isBuffer(v)) out.push(v);
        else if (v !== null) out.push(Buffer.from(v instanceof Date ? v.toISOString() : JSON.stringify(v), 'utf8'));
      }
    }
  }
  return out;
}
