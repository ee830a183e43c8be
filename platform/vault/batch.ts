import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Keyring } from '../crypto/keyring.js';
import type { Actor, AuditEventInput, Purpose } from '../audit/types.js';
import type { AuditLog } from '../audit/audit-log.js';
import { patientKeyAad, sealUnder, unwrapUnderOrgKey } from './field-crypto.js';
import { indexEntries, openIdentity, sealIdentity } from './identity-cells.js';
import { blindDigest, type BlindIndexKeyProvider } from './index-keys.js';
import { normalizeIdentifier, normalizeIdentity } from './normalize.js';
import { FIELD_COLUMNS, IDENTITY_FIELDS, type PatientIdentity } from './types.js';

export interface BatchPatient {
  patientId: string;
  identity: PatientIdentity;
  /** true: the patient exists and its identity is replaced; false: a new patient. */
  existing: boolean;
}

const COLUMNS = IDENTITY_FIELDS.map((f) => FIELD_COLUMNS[f]);

/**
 * Vault writes for bulk onboarding: many patients in one transaction the caller owns, with
 * multi-row statements, and one audit event per identity written (appended in one round trip).
 * The same cells, keys and blind indexes as Vault.createPatient/updateIdentity.
 */
export class VaultBatch {
  constructor(
    private readonly keyring: Keyring,
    private readonly indexKeys: BlindIndexKeyProvider,
    private readonly audit: AuditLog,
    private readonly defaultCallingCode?: string,
  ) {}

  /** The blind-index digest of an identifier, as the vault stores it (kind "identifier"). */
  async identifierDigests(organizationId: string, ids: ReadonlyArray<{ system: string; value: string }>): Promise<Buffer[]> {
    const key = await this.indexKeys.indexKey(organizationId);
    return ids.map((id) => { const n = normalizeIdentifier(id); return blindDigest(key, 'identifier', `${n.system}|${n.value}`); });
  }

  /**
   * Active patients of the organisation by identifier digest; one audit event for the lookup batch.
   * With `deferred`, the event is pushed there for `flushAudit` instead of appended now.
   */
  async findByIdentifierDigests(client: pg.ClientBase, actor: Actor, organizationId: string, digests: readonly Buffer[], purpose: Purpose, deferred?: AuditEventInput[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    if (digests.length === 0) return found;
    const { rows } = await client.query<{ digest: Buffer; patient_id: string }>(
      `SELECT b.digest, b.patient_id FROM vault.blind_indexes b JOIN vault.patients p ON p.patient_id = b.patient_id
        WHERE b.organization_id = $1 AND b.kind = 'identifier' AND b.digest = ANY($2::bytea[]) AND p.organization_id = $1 AND p.status = 'active'`,
      [organizationId, [...digests]]);
    for (const r of rows) found.set(r.digest.toString('hex'), r.patient_id);
    const event: AuditEventInput = { organizationId, actor, action: 'vault.lookup', patientId: null, purpose, outcome: 'success', fields: ['identifiers'], resultCount: found.size };
    if (deferred !== undefined) deferred.push(event);
    else await this.audit.record(event, client);
    return found;
  }

  /**
   * Appends deferred audit events in one round trip. Called last in the transaction: the audit chain
   * head stays locked until commit, so taking it last lets concurrent imports overlap their writes.
   */
  async flushAudit(client: pg.ClientBase, organizationId: string, events: AuditEventInput[]): Promise<void> {
    await this.audit.recordMany(organizationId, events.splice(0), client);
  }

  /** Writes new and changed identities; normalisation errors must have been caught by the caller. With `deferred`, audit events wait for `flushAudit`. */
  async write(client: pg.ClientBase, actor: Actor, organizationId: string, patients: readonly BatchPatient[], purpose: Purpose, deferred?: AuditEventInput[]): Promise<void> {
    if (patients.length === 0) return;
    const indexKey = await this.indexKeys.indexKey(organizationId);
    const { keyId, key: orgKey } = await this.keyring.activeKey(organizationId);
    const existingKeys = await this.loadKeys(client, organizationId, patients.filter((p) => p.existing).map((p) => p.patientId));
    const cellRows: Array<Array<Buffer | null>> = [];
    const newKeys: Array<{ id: string; wrapped: Buffer; keyId: string }> = [];
    const index: Array<{ id: string; kind: string; digest: Buffer }> = [];
    const events: AuditEventInput[] = [];
    for (const p of patients) {
      const normal = normalizeIdentity(p.identity, this.defaultCallingCode);
      let key: Buffer;
      if (p.existing) {
        const stored = existingKeys.get(p.patientId);
        if (stored === undefined) throw new Error(`vault patient ${p.patientId} vanished during the import`);
        key = await unwrapUnderOrgKey(this.keyring, organizationId, stored.wrapped, stored.keyId, patientKeyAad(organizationId, p.patientId));
      } else {
        key = randomBytes(32);
        newKeys.push({ id: p.patientId, wrapped: sealUnder(orgKey, keyId, key, patientKeyAad(organizationId, p.patientId)), keyId });
      }
      const cells = sealIdentity(key, organizationId, p.patientId, normal);
      cellRows.push(IDENTITY_FIELDS.map((f) => cells[f] ?? null));
      for (const e of indexEntries(indexKey, normal)) index.push({ id: p.patientId, kind: e.kind, digest: e.digest });
      events.push({ organizationId, actor, action: p.existing ? 'vault.identity.update' : 'vault.patient.create', patientId: p.patientId, purpose, outcome: 'success', fields: IDENTITY_FIELDS.filter((f) => normal[f] !== undefined) });
    }
    const ids = patients.map((p) => p.patientId);
    const cols = COLUMNS.map((_, i) => cellRows.map((r) => r[i] ?? null));
    const fresh = patients.filter((p) => !p.existing).map((p) => p.patientId);
    if (fresh.length > 0) {
      const freshSet = new Set(fresh);
      const pick = (col: Array<Buffer | null>): Array<Buffer | null> => col.filter((_, i) => freshSet.has(ids[i] ?? ''));
      await client.query(
        `INSERT INTO vault.patients (patient_id, organization_id, ${COLUMNS.join(', ')})
         SELECT id, $1, ${COLUMNS.map((c) => `u.${c}`).join(', ')} FROM unnest($2::text[], ${COLUMNS.map((_, i) => `$${i + 3}::bytea[]`).join(', ')}) AS u(id, ${COLUMNS.join(', ')})`,
        [organizationId, ids.filter((id) => freshSet.has(id)), ...cols.map(pick)]);
      await client.query(
        `INSERT INTO vault.patient_keys (patient_id, organization_id, wrapped_key, wrapping_key_id)
         SELECT id, $1, w, k FROM unnest($2::text[], $3::bytea[], $4::text[]) AS u(id, w, k)`,
        [organizationId, newKeys.map((k) => k.id), newKeys.map((k) => k.wrapped), newKeys.map((k) => k.keyId)]);
    }
    const updated = patients.filter((p) => p.existing).map((p) => p.patientId);
    if (updated.length > 0) {
      const updSet = new Set(updated);
      const pick = (col: Array<Buffer | null>): Array<Buffer | null> => col.filter((_, i) => updSet.has(ids[i] ?? ''));
      await client.query(
        `UPDATE vault.patients p SET ${COLUMNS.map((c) => `${c} = u.${c}`).join(', ')}, updated_at = now()
           FROM unnest($2::text[], ${COLUMNS.map((_, i) => `$${i + 3}::bytea[]`).join(', ')}) AS u(id, ${COLUMNS.join(', ')})
          WHERE p.patient_id = u.id AND p.organization_id = $1`,
        [organizationId, ids.filter((id) => updSet.has(id)), ...cols.map(pick)]);
      await client.query('DELETE FROM vault.blind_indexes WHERE organization_id = $1 AND patient_id = ANY($2::text[])', [organizationId, updated]);
    }
    if (index.length > 0) {
      await client.query(
        `INSERT INTO vault.blind_indexes (organization_id, kind, digest, patient_id)
         SELECT $1, kind, digest, id FROM unnest($2::text[], $3::text[], $4::bytea[]) AS e(id, kind, digest) ON CONFLICT DO NOTHING`,
        [organizationId, index.map((e) => e.id), index.map((e) => e.kind), index.map((e) => e.digest)]);
    }
    if (deferred !== undefined) deferred.push(...events);
    else await this.audit.recordMany(organizationId, events, client);
  }

  /** Opens identities of many patients (an export); one audit event per patient read. */
  async read(client: pg.ClientBase, actor: Actor, organizationId: string, patientIds: readonly string[], purpose: Purpose): Promise<Map<string, PatientIdentity>> {
    const out = new Map<string, PatientIdentity>();
    if (patientIds.length === 0) return out;
    const { rows } = await client.query<Record<string, Buffer | null> & { patient_id: string; wrapped_key: Buffer; wrapping_key_id: string }>(
      `SELECT p.patient_id, ${COLUMNS.map((c) => `p.${c}`).join(', ')}, k.wrapped_key, k.wrapping_key_id
         FROM vault.patients p JOIN vault.patient_keys k ON k.patient_id = p.patient_id AND k.organization_id = p.organization_id
        WHERE p.organization_id = $1 AND p.patient_id = ANY($2::text[]) AND p.status = 'active'`, [organizationId, [...patientIds]]);
    await this.audit.recordMany(organizationId, rows.map((r) => ({ organizationId, actor, action: 'vault.identity.read', patientId: r.patient_id, purpose, outcome: 'success' as const })), client);
    for (const r of rows) {
      const key = await unwrapUnderOrgKey(this.keyring, organizationId, r.wrapped_key, r.wrapping_key_id, patientKeyAad(organizationId, r.patient_id));
      const cells: Partial<Record<(typeof IDENTITY_FIELDS)[number], Buffer>> = {};
      for (const f of IDENTITY_FIELDS) { const v = r[FIELD_COLUMNS[f]]; if (v !== null && v !== undefined) cells[f] = v; }
      out.set(r.patient_id, openIdentity(key, organizationId, r.patient_id, cells));
    }
    return out;
  }

  private async loadKeys(client: pg.ClientBase, organizationId: string, ids: readonly string[]): Promise<Map<string, { wrapped: Buffer; keyId: string }>> {
    const out = new Map<string, { wrapped: Buffer; keyId: string }>();
    if (ids.length === 0) return out;
    const { rows } = await client.query<{ patient_id: string; wrapped_key: Buffer; wrapping_key_id: string }>(
      'SELECT patient_id, wrapped_key, wrapping_key_id FROM vault.patient_keys WHERE organization_id = $1 AND patient_id = ANY($2::text[]) FOR UPDATE',
      [organizationId, [...ids]]);
    for (const r of rows) out.set(r.patient_id, { wrapped: r.wrapped_key, keyId: r.wrapping_key_id });
    return out;
  }
}
