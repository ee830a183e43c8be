import { open } from '../../platform/crypto/envelope.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { directoryFromFhir, type DirectoryService } from '../../platform/services/directory.js';
import type { PgPool } from '../../platform/storage/postgres.js';
import { unpack } from '../../platform/vault/field-crypto.js';

type R = Record<string, unknown>;

/** The AAD the FHIR importer seals care resources under (its `careAad`): organisation, type, id. */
const careAad = (org: string, type: string, id: string): string => `careloop:care:${org}:${type}:${id}`;

/**
 * The organisation's service directory from its imported HealthcareServices and Locations (names,
 * hours, languages and positions are in the sealed originals), cached for `ttlMs`.
 */
export class DirectoryLoader {
  private readonly cache = new Map<string, { at: number; directory: DirectoryService[] }>();

  constructor(private readonly pool: PgPool, private readonly keyring: Keyring, private readonly ttlMs: number, private readonly now: () => number) {}

  async load(org: string): Promise<DirectoryService[]> {
    const hit = this.cache.get(org);
    if (hit !== undefined && this.now() - hit.at < this.ttlMs) return hit.directory;
    const [services, locations] = await Promise.all([this.opened(org, 'HealthcareService'), this.opened(org, 'Location')]);
    const directory = directoryFromFhir(services, locations);
    this.cache.set(org, { at: this.now(), directory });
    return directory;
  }

  private async opened(org: string, type: string): Promise<R[]> {
    const { rows } = await this.pool.query<{ id: string; key_id: string; sealed: Buffer }>(
      'SELECT id, key_id, sealed FROM care.resources WHERE organization_id = $1 AND resource_type = $2 ORDER BY id', [org, type]);
    return Promise.all(rows.map(async (r) => JSON.parse(open(await this.keyring.keyById(r.key_id), unpack(r.sealed, r.key_id), careAad(org, type, r.id)).toString('utf8')) as R));
  }
}
