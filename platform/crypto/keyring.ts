import { randomBytes } from 'node:crypto';
import type { PgPool } from '../storage/postgres.js';
import { CareloopError } from '../errors.js';
import { open, seal, type Sealed } from './envelope.js';
import type { MasterKeyProvider } from './master-key.js';

interface CachedKey {
  keyId: string;
  key: Buffer;
  expires: number;
}

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

/**
 * Per-organisation data keys (envelope encryption): each is random, stored only wrapped by the master
 * key in vault.organization_keys, unwrapped on demand and cached briefly in memory. Encryption uses
 * the newest version; every version stays readable until retired keys are destroyed.
 */
export class Keyring {
  private readonly cache = new Map<string, CachedKey>();
  private readonly active = new Map<string, { keyId: string; expires: number }>();

  constructor(
    private readonly pool: PgPool,
    private readonly master: MasterKeyProvider,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private context(keyId: string): string {
    return `careloop:org-key:${keyId}`;
  }

  /** The organisation's current key, created on first use. */
  async activeKey(organizationId: string): Promise<{ keyId: string; key: Buffer }> {
    const hit = this.active.get(organizationId);
    if (hit !== undefined && hit.expires > this.now()) return { keyId: hit.keyId, key: await this.keyById(hit.keyId) };
    let row = await this.latest(organizationId);
    if (row === undefined) {
      await this.createVersion(organizationId, 1);
      row = await this.latest(organizationId);
    }
    if (row === undefined) throw new CareloopError('INTERNAL', 'organisation key could not be created');
    const keyId = orgKeyId(organizationId, row.version);
    this.active.set(organizationId, { keyId, expires: this.now() + this.ttlMs });
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

  async keyById(keyId: string): Promise<Buffer> {
    const hit = this.cache.get(keyId);
    if (hit !== undefined && hit.expires > this.now()) return hit.key;
    const { organizationId, version } = parseOrgKeyId(keyId);
    const { rows } = await this.pool.query<{ wrapped_key: Buffer }>(
      'SELECT wrapped_key FROM vault.organization_keys WHERE organization_id = $1 AND version = $2', [organizationId, version]);
    const row = rows[0];
    if (row === undefined) throw new CareloopError('RECORD_INVALID', `unknown data key ${keyId}`);
    const key = await this.master.unwrap(row.wrapped_key, this.context(keyId));
    this.cache.set(keyId, { keyId, key, expires: this.now() + this.ttlMs });
    return key;
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

  /** Forgets unwrapped keys (after a rotation or in tests). */
  clearCache(): void {
    this.cache.clear();
    this.active.clear();
  }
}
