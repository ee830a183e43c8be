import { createHmac, randomBytes } from 'node:crypto';
import type { Keyring } from '../crypto/keyring.js';
import { LookupCache } from '../cache/lookup-cache.js';
import type { PgPool } from '../storage/postgres.js';
import { CareloopError } from '../errors.js';
import { indexKeyAad, unwrapUnderOrgKey, wrapUnderOrgKey } from './field-crypto.js';

/** Supplies each organisation's blind-index HMAC key. */
export interface BlindIndexKeyProvider {
  indexKey(organizationId: string): Promise<Buffer>;
}

/**
 * HMAC-SHA256 over a domain-separated value: the same phone digests differently as a phone, as part
 * of phone+DOB and in another organisation (whose key differs), and the plaintext is never stored.
 */
export function blindDigest(key: Buffer, kind: string, value: string): Buffer {
  return createHmac('sha256', key).update(kind).update('\x1f').update(value, 'utf8').digest();
}

/**
 * Index keys kept in vault.organization_index_keys, sealed under an organisation data key. They never
 * rotate (a new one would mean re-indexing every patient); master key rotation covers them through
 * the organisation keys. Cached briefly, like data keys.
 */
export class OrgIndexKeys implements BlindIndexKeyProvider {
  private readonly cache: LookupCache<Buffer>;

  constructor(
    private readonly pool: PgPool,
    private readonly keyring: Keyring,
    ttlMs: number,
    now: () => number = Date.now,
  ) {
    this.cache = new LookupCache(ttlMs, 100_000, now);
  }

  indexKey(organizationId: string): Promise<Buffer> {
    return this.cache.get(organizationId, () => this.loadOrCreate(organizationId));
  }

  private async loadOrCreate(organizationId: string): Promise<Buffer> {
    let row = await this.load(organizationId);
    if (row === undefined) {
      const made = await wrapUnderOrgKey(this.keyring, organizationId, randomBytes(32), indexKeyAad(organizationId));
      // Two processes may race to create it; the first insert wins and both use the stored one.
      await this.pool.query(
        'INSERT INTO vault.organization_index_keys (organization_id, wrapped_key, wrapping_key_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [organizationId, made.wrapped, made.keyId]);
      row = await this.load(organizationId);
    }
    if (row === undefined) throw new CareloopError('INTERNAL', 'blind index key could not be created');
    return unwrapUnderOrgKey(this.keyring, organizationId, row.wrapped_key, row.wrapping_key_id, indexKeyAad(organizationId));
  }

  private async load(organizationId: string): Promise<{ wrapped_key: Buffer; wrapping_key_id: string } | undefined> {
    const { rows } = await this.pool.query<{ wrapped_key: Buffer; wrapping_key_id: string }>(
      'SELECT wrapped_key, wrapping_key_id FROM vault.organization_index_keys WHERE organization_id = $1', [organizationId]);
    return rows[0];
  }
}
