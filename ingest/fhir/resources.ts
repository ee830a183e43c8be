import { open } from '../../platform/crypto/envelope.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { PgPool } from '../../platform/storage/postgres.js';
import type { HistoryEntry } from '../../platform/stores/chat-history.js';
import { unpack } from '../../platform/vault/field-crypto.js';
import { communicationOf, medicationStatementOf } from './derived.js';
import { fhirFacing } from './fhir-ids.js';
import { careAad } from './importer.js';
import { adherenceRows, sealedResources } from './store.js';

export type Resource = Record<string, unknown>;

/** The patient's recent conversation, opened (the API process reads the gateway's sealed history). */
export interface ConversationSource {
  recent(organizationId: string, patientId: string): Promise<HistoryEntry[]>;
}

export interface ResourceReaderDeps {
  pool: PgPool;
  keyring: Keyring;
  /** Absent: no conversation is kept where this process can read it, Communication is empty. */
  conversations?: ConversationSource;
}

/** What the read API and the export read: sealed originals opened, derived resources built. */
export class ResourceReader {
  constructor(private readonly deps: ResourceReaderDeps) {}

  async openRows(org: string, type: string, rows: Awaited<ReturnType<typeof sealedResources>>): Promise<Resource[]> {
    return Promise.all(rows.map(async (r) => fhirFacing(JSON.parse(open(await this.deps.keyring.keyById(r.keyId), unpack(r.sealed, r.keyId), careAad(org, type, r.id)).toString('utf8')) as Resource)));
  }

  /** Imported resources of one type (our ids, not FHIR's): by ids, by patient, or a page after `after` (id order). */
  async sealed(org: string, type: string, opts: Parameters<typeof sealedResources>[3]): Promise<{ resources: Resource[]; patientIds: Array<string | null>; last: string | null }> {
    const rows = await sealedResources(this.deps.pool, org, type, opts);
    return { resources: await this.openRows(org, type, rows), patientIds: rows.map((r) => r.patientId), last: rows.at(-1)?.id ?? null };
  }

  /** `listed`: the id comes from the organisation's own patient list (an export), already checked. */
  async communications(org: string, patientId: string, listed = false): Promise<Resource[]> {
    if (this.deps.conversations === undefined) return [];
    // The history is keyed by patient alone: the organisation is checked here, not by the key.
    const own = listed ? null : await this.deps.pool.query('SELECT 1 FROM patients WHERE id = $1 AND organization_id = $2', [patientId, org]);
    if (own !== null && own.rowCount === 0) return [];
    return (await this.deps.conversations.recent(org, patientId)).map((l) => fhirFacing(communicationOf(patientId, l)));
  }

  async medicationStatements(org: string, opts: { patientId?: string; after?: string; limit: number }): Promise<{ resources: Resource[]; last: string | null }> {
    const rows = await adherenceRows(this.deps.pool, this.deps.keyring, org, opts);
    return { resources: rows.map((r) => fhirFacing(medicationStatementOf(r))), last: rows.at(-1)?.id ?? null };
  }
}
