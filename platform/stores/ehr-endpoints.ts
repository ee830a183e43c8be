import { open, seal } from '../crypto/envelope.js';
import type { Keyring } from '../crypto/keyring.js';
import { CareloopError } from '../errors.js';
import type { PgPool } from '../storage/postgres.js';
import { pack, unpack } from '../vault/field-crypto.js';

/*
 * Each organisation's EHR endpoint (FHIR R4 base URL and how to authenticate): written by the admin
 * API, read by hospital-outbound. The secret (a bearer token or a SMART private key) is sealed under
 * the organisation's data key and opened only to make a call.
 */

export type EhrAuth =
  | { kind: 'none' }
  | { kind: 'bearer'; token: string }
  | { kind: 'smart_backend'; clientId: string; tokenUrl: string; scope: string; kid: string; privateKeyPem: string };

export interface EhrEndpoint { baseUrl: string; auth: EhrAuth }

const aad = (org: string): string => `careloop:ehr-endpoint:${org}`;

export function checkEndpoint(e: EhrEndpoint): void {
  let url: URL;
  try { url = new URL(e.baseUrl); } catch { throw new CareloopError('VALIDATION_FAILED', 'baseUrl must be a URL'); }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CareloopError('VALIDATION_FAILED', 'baseUrl must use https (or http on a private network)');
  if (e.auth.kind === 'smart_backend' && !/^https?:/.test(e.auth.tokenUrl)) throw new CareloopError('VALIDATION_FAILED', 'tokenUrl must be a URL');
}

export class EhrEndpointStore {
  constructor(private readonly pool: PgPool, private readonly keyring: Keyring) {}

  async put(org: string, e: EhrEndpoint): Promise<void> {
    checkEndpoint(e);
    const secret = e.auth.kind === 'bearer' ? e.auth.token : e.auth.kind === 'smart_backend' ? e.auth.privateKeyPem : null;
    const { keyId, key } = await this.keyring.activeKey(org);
    const sealed = secret === null ? null : pack(seal(key, keyId, secret, aad(org)));
    const smart = e.auth.kind === 'smart_backend' ? e.auth : null;
    await this.pool.query(
      `INSERT INTO booking.ehr_endpoints (organization_id, base_url, auth_kind, client_id, token_url, scope, jwk_kid, secret_key_id, secret_sealed, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
       ON CONFLICT (organization_id) DO UPDATE SET base_url = EXCLUDED.base_url, auth_kind = EXCLUDED.auth_kind, client_id = EXCLUDED.client_id,
         token_url = EXCLUDED.token_url, scope = EXCLUDED.scope, jwk_kid = EXCLUDED.jwk_kid, secret_key_id = EXCLUDED.secret_key_id,
         secret_sealed = EXCLUDED.secret_sealed, updated_at = now()`,
      [org, e.baseUrl, e.auth.kind, smart?.clientId ?? null, smart?.tokenUrl ?? null, smart?.scope ?? null, smart?.kid ?? null, sealed === null ? null : keyId, sealed]);
  }

  async get(org: string): Promise<EhrEndpoint | undefined> {
    const { rows } = await this.pool.query<{ base_url: string; auth_kind: EhrAuth['kind']; client_id: string | null; token_url: string | null; scope: string | null; jwk_kid: string | null; secret_key_id: string | null; secret_sealed: Buffer | null }>(
      'SELECT * FROM booking.ehr_endpoints WHERE organization_id = $1', [org]);
    const r = rows[0];
    if (r === undefined) return undefined;
    const secret = r.secret_sealed === null || r.secret_key_id === null ? '' : open(await this.keyring.keyById(r.secret_key_id), unpack(r.secret_sealed, r.secret_key_id), aad(org)).toString('utf8');
    switch (r.auth_kind) {
      case 'none': return { baseUrl: r.base_url, auth: { kind: 'none' } };
      case 'bearer': return { baseUrl: r.base_url, auth: { kind: 'bearer', token: secret } };
      case 'smart_backend': return { baseUrl: r.base_url, auth: { kind: 'smart_backend', clientId: r.client_id ?? '', tokenUrl: r.token_url ?? '', scope: r.scope ?? 'system/*.rs', kid: r.jwk_kid ?? '', privateKeyPem: secret } };
    }
  }

  /** What the API shows back: never the secret. */
  async describe(org: string): Promise<{ baseUrl: string; authKind: string; clientId: string | null; tokenUrl: string | null } | undefined> {
    const { rows } = await this.pool.query<{ base_url: string; auth_kind: string; client_id: string | null; token_url: string | null }>(
      'SELECT base_url, auth_kind, client_id, token_url FROM booking.ehr_endpoints WHERE organization_id = $1', [org]);
    const r = rows[0];
    return r === undefined ? undefined : { baseUrl: r.base_url, authKind: r.auth_kind, clientId: r.client_id, tokenUrl: r.token_url };
  }
}
