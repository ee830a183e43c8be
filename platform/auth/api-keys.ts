import { createHash, timingSafeEqual } from 'node:crypto';
import type { PgPool } from '../storage/postgres.js';
import { CareloopError } from '../errors.js';
import { randomBase62 } from '../vault/ids.js';
import { makePrincipal, type Principal } from './principal.js';
import { isRole, type Role } from './roles.js';

export interface ApiKeyInfo {
  id: string;
  organizationId: string;
  role: Role;
  /** The partner of a partner key, else null. */
  partnerId: string | null;
  name: string;
  createdAt: Date;
  revokedAt: Date | null;
}

const PREFIX = 'ck';
const TOKEN = /^ck_(ak[0-9A-Za-z]{20})_([0-9A-Za-z]{43})$/;
// Compared against when the key id is unknown, so both paths do the same work.
const DUMMY_HASH = createHash('sha256').update('careloop:no-such-key').digest();

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

function invalidKey(): CareloopError {
  return new CareloopError('UNAUTHENTICATED', 'API key is not valid', { details: { reason: 'api_key_invalid' } });
}

/** Whether a bearer credential has the shape of one of our API keys (rather than a JWT). */
export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(`${PREFIX}_`);
}

/**
 * Integration API keys: "ck_<id>_<secret>", the secret 256 random bits, shown once and stored as its
 * SHA-256. The id finds the row; the hash is compared in constant time.
 */
export class ApiKeys {
  constructor(private readonly pool: PgPool) {}

  /**
   * A key of one organisation (a platform operator's key: organizationId null). A partner key names
   * its partner, which must be one of the organisation's; no other key names one.
   */
  async create(organizationId: string | null, role: Role, name: string, partnerId: string | null = null): Promise<{ id: string; token: string; createdAt: Date }> {
    if (!isRole(role)) throw new CareloopError('VALIDATION_FAILED', 'unknown role', { details: { field: 'role' } });
    if (name.trim() === '' || name.length > 200) throw new CareloopError('VALIDATION_FAILED', 'API key name must be 1–200 characters', { details: { field: 'name' } });
    if ((role === 'platform_operator') !== (organizationId === null)) throw new CareloopError('VALIDATION_FAILED', 'a platform operator key belongs to no organisation, every other key to one', { details: { field: 'role' } });
    if ((role === 'partner') !== (partnerId !== null)) throw new CareloopError('VALIDATION_FAILED', role === 'partner' ? 'a partner key needs partnerId' : 'only a partner key names a partnerId', { details: { field: 'partnerId' } });
    if (partnerId !== null) {
      const { rowCount } = await this.pool.query('SELECT 1 FROM campaigns.partners WHERE organization_id = $1 AND id = $2', [organizationId, partnerId]);
      if (rowCount !== 1) throw new CareloopError('VALIDATION_FAILED', 'unknown partner; create it first', { details: { field: 'partnerId' } });
    }
    const id = `ak${randomBase62(20)}`;
    const secret = randomBase62(43);
    const { rows } = await this.pool.query<{ created_at: Date }>(
      'INSERT INTO auth.api_keys (id, organization_id, role, name, secret_hash, partner_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING created_at',
      [id, organizationId, role, name.trim(), hashSecret(secret), partnerId]);
    return { id, token: `${PREFIX}_${id}_${secret}`, createdAt: (rows[0] as { created_at: Date }).created_at };
  }

  async verify(token: string): Promise<Principal> {
    const m = TOKEN.exec(token);
    if (m === null) throw invalidKey();
    const [, id, secret] = m as unknown as [string, string, string];
    const { rows } = await this.pool.query<{ organization_id: string | null; role: string; secret_hash: Buffer; revoked_at: Date | null; partner_id: string | null }>(
      'SELECT organization_id, role, secret_hash, revoked_at, partner_id FROM auth.api_keys WHERE id = $1', [id]);
    const row = rows[0];
    const matches = timingSafeEqual(hashSecret(secret), row?.secret_hash ?? DUMMY_HASH);
    if (row === undefined || !matches || row.revoked_at !== null || !isRole(row.role)) throw invalidKey();
    return makePrincipal('api_key', id, row.organization_id ?? '', row.role, row.partner_id);
  }

  async revoke(organizationId: string, id: string): Promise<void> {
    const { rowCount } = await this.pool.query(
      'UPDATE auth.api_keys SET revoked_at = now() WHERE id = $1 AND organization_id = $2 AND revoked_at IS NULL', [id, organizationId]);
    if (rowCount !== 1) throw new CareloopError('NOT_FOUND', 'API key not found');
  }

  async list(organizationId: string): Promise<ApiKeyInfo[]> {
    const { rows } = await this.pool.query<{ id: string; role: Role; name: string; created_at: Date; revoked_at: Date | null; partner_id: string | null }>(
      'SELECT id, role, name, created_at, revoked_at, partner_id FROM auth.api_keys WHERE organization_id = $1 ORDER BY created_at, id', [organizationId]);
    return rows.map((r) => ({ id: r.id, organizationId, role: r.role, partnerId: r.partner_id, name: r.name, createdAt: r.created_at, revokedAt: r.revoked_at }));
  }
}
