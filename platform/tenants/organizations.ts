import type { ApiKeys } from '../auth/api-keys.js';
import { CareloopError } from '../errors.js';
import type { PgPool } from '../storage/postgres.js';
import { randomBase62 } from '../vault/ids.js';

export interface TenantOrganization {
  id: string;
  displayName: string;
  status: 'active' | 'suspended';
  createdAt: string;
}

export interface NewOrganization {
  id: string;
  displayName: string;
  timeZone: string;
  admin: { email: string; name: string };
}

export interface CreatedOrganization {
  organization: TenantOrganization;
  admin: { userId: string; email: string; status: 'invited'; apiKey: { id: string; token: string } };
}

interface Row { id: string; display_name: string; status: 'active' | 'suspended'; created_at: Date }

const of = (r: Row): TenantOrganization => ({ id: r.id, displayName: r.display_name, status: r.status, createdAt: r.created_at.toISOString() });

/**
 * Organisations as tenants, for the platform operator: create one with its first admin (an org_admin
 * API key shown once and a pending staff invite), list, suspend and resume. A suspended
 * organisation's credentials are refused by the API (its `status` is read on every request).
 */
export class Tenants {
  constructor(private readonly pool: PgPool, private readonly apiKeys: ApiKeys, private readonly now: () => number) {}

  async list(): Promise<TenantOrganization[]> {
    const { rows } = await this.pool.query<Row>('SELECT id, display_name, status, created_at FROM organizations ORDER BY created_at, id');
    return rows.map(of);
  }

  async create(input: NewOrganization): Promise<CreatedOrganization> {
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO organizations (id, slug, display_name, timezone, created_at) VALUES ($1, $1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING id, display_name, status, created_at`, [input.id, input.displayName.trim(), input.timeZone, new Date(this.now())]);
    const row = rows[0];
    if (row === undefined) throw new CareloopError('CONFLICT', 'an organisation with this id (or slug) exists');
    const key = await this.apiKeys.create(input.id, 'org_admin', `first admin (${input.admin.name.trim().slice(0, 60)})`);
    const userId = `ui${randomBase62(20)}`;
    await this.pool.query(
      'INSERT INTO auth.admin_invites (id, organization_id, email, name, api_key_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [userId, input.id, input.admin.email.trim().toLowerCase(), input.admin.name.trim(), key.id, new Date(this.now())]);
    return { organization: of(row), admin: { userId, email: input.admin.email.trim().toLowerCase(), status: 'invited', apiKey: { id: key.id, token: key.token } } };
  }

  async setStatus(id: string, status: 'active' | 'suspended'): Promise<TenantOrganization> {
    const { rows } = await this.pool.query<Row>(
      'UPDATE organizations SET status = $2, status_changed_at = $3 WHERE id = $1 RETURNING id, display_name, status, created_at', [id, status, new Date(this.now())]);
    const row = rows[0];
    if (row === undefined) throw new CareloopError('NOT_FOUND', 'organisation not found');
    return of(row);
  }

  /** Whether an organisation is suspended (unknown ones are not: their credentials fail elsewhere). */
  async suspended(id: string): Promise<boolean> {
    if (id === '') return false;
    const { rows } = await this.pool.query<{ status: string }>('SELECT status FROM organizations WHERE id = $1', [id]);
    return rows[0]?.status === 'suspended';
  }
}
