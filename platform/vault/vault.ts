import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { orgKeyId, type Keyring, type RewrapResult } from '../crypto/keyring.js';
import type { MasterKeyProvider } from '../crypto/master-key.js';
import type { PgPool } from '../storage/postgres.js';
import type { Actor, AuditEventInput, AuditSink, Purpose } from '../audit/types.js';
import { CareloopError, isCareloopError } from '../errors.js';
import { indexKeyAad, patientKeyAad, sealUnder, unwrapUnderOrgKey, wrapUnderOrgKey } from './field-crypto.js';
import { indexEntries, openIdentity, sealIdentity } from './identity-cells.js';
import { blindDigest, type BlindIndexKeyProvider } from './index-keys.js';
import { isPatientId, newPatientId } from './ids.js';
import { normalizeBirthDate, normalizeIdentifier, normalizeIdentity, normalizeMrn, normalizePhone, normalizeEmail } from './normalize.js';
import * as store from './store.js';
import { IDENTITY_FIELDS, type BlindIndexKind, type IdentityPatch, type PatientIdentity } from './types.js';

export interface VaultOptions {
  /** The calling code for national phone numbers without one (the organisation's country). */
  defaultCallingCode?: string;
}

type AuditBase = Omit<AuditEventInput, 'outcome' | 'reason' | 'resultCount'>;

export interface OrgKeyRotation {
  /** The new data key version, e.g. "org_1/v2". */
  keyId: string;
  /** Patient keys re-wrapped by this run (a rerun re-wraps only what is left). */
  patientKeys: number;
  /** Whether this run re-wrapped the blind-index key. */
  indexKey: boolean;
}

function notFound(): CareloopError {
  // The same answer for unknown, erased and other organisations' patients: no hint either way.
  return new CareloopError('NOT_FOUND', 'patient not found');
}

/**
 * The PHI vault: direct identifiers, each field sealed under a per-patient key that is itself sealed
 * under the organisation's data key. Every call is scoped to one organisation and audited; reads are
 * audited before data is returned, so a failed audit withholds the data; writes are audited in their
 * own transaction, so a failed audit undoes the write.
 */
export class Vault {
  constructor(
    private readonly pool: PgPool,
    private readonly keyring: Keyring,
    private readonly indexKeys: BlindIndexKeyProvider,
    private readonly audit: AuditSink,
    private readonly opts: VaultOptions = {},
  ) {}

  /**
   * A write and its audit event commit in one transaction: no write without its record, and a failed
   * append rolls the write back. A failure is recorded on its own after the rollback.
   */
  private async auditedWrite<T>(base: AuditBase, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    try {
      return await store.withTransaction(this.pool, async (client) => {
        const result = await fn(client);
        await this.audit.record({ ...base, outcome: 'success' }, client);
        return result;
      });
    } catch (err) {
      const reason = isCareloopError(err) ? err.code.toLowerCase() : 'internal';
      await this.audit.record({ ...base, outcome: 'failure', reason });
      throw err;
    }
  }

  private async audited<T>(base: AuditBase, fn: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      const reason = isCareloopError(err) ? err.code.toLowerCase() : 'internal';
      await this.audit.record({ ...base, outcome: 'failure', reason });
      throw err;
    }
    await this.audit.record({ ...base, outcome: 'success' });
    return result;
  }

  private async patientKey(organizationId: string, patientId: string, stored: store.StoredPatient): Promise<Buffer> {
    return unwrapUnderOrgKey(this.keyring, organizationId, stored.wrappedKey, stored.wrappingKeyId, patientKeyAad(organizationId, patientId));
  }

  async createPatient(actor: Actor, organizationId: string, identity: PatientIdentity, purpose: Purpose): Promise<{ patientId: string }> {
    const patientId = newPatientId();
    const normal = normalizeIdentity(identity, this.opts.defaultCallingCode);
    const fields = IDENTITY_FIELDS.filter((f) => normal[f] !== undefined);
    const key = randomBytes(32);
    return this.auditedWrite({ organizationId, actor, action: 'vault.patient.create', patientId, purpose, fields }, async (client) => {
      const wrapped = await wrapUnderOrgKey(this.keyring, organizationId, key, patientKeyAad(organizationId, patientId));
      const entries = indexEntries(await this.indexKeys.indexKey(organizationId), normal);
      await store.insertPatient(client, organizationId, patientId, sealIdentity(key, organizationId, patientId, normal), wrapped);
      await store.replaceIndexes(client, organizationId, patientId, entries);
      return { patientId };
    });
  }

  async getIdentity(actor: Actor, organizationId: string, patientId: string, purpose: Purpose): Promise<PatientIdentity> {
    return this.audited({ organizationId, actor, action: 'vault.identity.read', patientId: this.auditablePatientId(patientId), purpose }, async () => {
      const stored = await store.loadPatient(this.pool, organizationId, patientId);
      if (stored === undefined) throw notFound();
      return openIdentity(await this.patientKey(organizationId, patientId, stored), organizationId, patientId, stored.cells);
    });
  }

  /** Applies a patch (null removes a field), re-seals the identity and rebuilds its blind indexes. */
  async updateIdentity(actor: Actor, organizationId: string, patientId: string, patch: IdentityPatch, purpose: Purpose): Promise<void> {
    const fields = IDENTITY_FIELDS.filter((f) => f in patch);
    await this.auditedWrite({ organizationId, actor, action: 'vault.identity.update', patientId: this.auditablePatientId(patientId), purpose, fields }, async (client) => {
      const indexKey = await this.indexKeys.indexKey(organizationId);
      const stored = await store.loadPatient(client, organizationId, patientId, true);
      if (stored === undefined) throw notFound();
      const key = await this.patientKey(organizationId, patientId, stored);
      const merged: Record<string, unknown> = { ...openIdentity(key, organizationId, patientId, stored.cells) };
      for (const [f, v] of Object.entries(patch)) {
        if (v === null) delete merged[f];
        else if (v !== undefined) merged[f] = v;
      }
      const normal = normalizeIdentity(merged as PatientIdentity, this.opts.defaultCallingCode);
      await store.updateCells(client, organizationId, patientId, sealIdentity(key, organizationId, patientId, normal));
      await store.replaceIndexes(client, organizationId, patientId, indexEntries(indexKey, normal));
    });
  }

  /** Crypto-shreds the patient: the key is destroyed, so every copy of the ciphertext is noise. */
  async erasePatient(actor: Actor, organizationId: string, patientId: string, purpose: Purpose): Promise<void> {
    await this.auditedWrite({ organizationId, actor, action: 'vault.patient.erase', patientId: this.auditablePatientId(patientId), purpose }, async (client) => {
      if (!(await store.erase(client, organizationId, patientId))) throw notFound();
    });
  }

  findByPhone(actor: Actor, organizationId: string, phone: string, purpose: Purpose): Promise<string[]> {
    return this.find(actor, organizationId, 'phone', ['phone'], purpose, () => normalizePhone(phone, this.opts.defaultCallingCode));
  }

  findByEmail(actor: Actor, organizationId: string, email: string, purpose: Purpose): Promise<string[]> {
    return this.find(actor, organizationId, 'email', ['email'], purpose, () => normalizeEmail(email));
  }

  findByMrn(actor: Actor, organizationId: string, mrn: string, purpose: Purpose): Promise<string[]> {
    return this.find(actor, organizationId, 'mrn', ['mrn'], purpose, () => normalizeMrn(mrn));
  }

  findByPhoneAndBirthDate(actor: Actor, organizationId: string, phone: string, birthDate: string, purpose: Purpose): Promise<string[]> {
    return this.find(actor, organizationId, 'phone_birth_date', ['phone', 'birthDate'], purpose,
      () => `${normalizePhone(phone, this.opts.defaultCallingCode)}|${normalizeBirthDate(birthDate)}`);
  }

  findByIdentifier(actor: Actor, organizationId: string, system: string, value: string, purpose: Purpose): Promise<string[]> {
    return this.find(actor, organizationId, 'identifier', ['identifiers'], purpose, () => {
      const id = normalizeIdentifier({ system, value });
      return `${id.system}|${id.value}`;
    });
  }

  /** A lookup is a disclosure of each patient it finds: one audit event per match (or one for none). */
  private async find(actor: Actor, organizationId: string, kind: BlindIndexKind, fields: string[], purpose: Purpose, value: () => string): Promise<string[]> {
    const base: AuditBase = { organizationId, actor, action: 'vault.lookup', patientId: null, purpose, fields };
    let ids: string[];
    try {
      const digest = blindDigest(await this.indexKeys.indexKey(organizationId), kind, value());
      ids = await store.findByDigest(this.pool, organizationId, kind, [digest]);
    } catch (err) {
      await this.audit.record({ ...base, outcome: 'failure', reason: isCareloopError(err) ? err.code.toLowerCase() : 'internal' });
      throw err;
    }
    if (ids.length === 0) await this.audit.record({ ...base, outcome: 'success', resultCount: 0 });
    for (const patientId of ids) await this.audit.record({ ...base, patientId, outcome: 'success', resultCount: ids.length });
    return ids;
  }

  /**
   * Re-wraps every organisation data key (optionally only some organisations') under newMaster.
   * Patient and index keys hang off organisation keys, so they need no change.
   */
  rotateMasterKey(newMaster: MasterKeyProvider, opts: { organizationIds?: readonly string[]; batchSize?: number } = {}): Promise<RewrapResult> {
    return this.keyring.rewrapOrganizationKeys(newMaster, opts);
  }

  /**
   * Rotates one organisation's data key: a new version seals everything new, and every patient key
   * and the blind-index key are re-wrapped under it (each row by compare-and-set, so reads and writes
   * go on meanwhile and a rerun resumes). Older versions stay readable for data sealed under them
   * (Kafka records, conversation state) and are marked retired. Audited as a security event.
   */
  async rotateOrganizationKey(actor: Actor, organizationId: string, opts: { batchSize?: number; resume?: boolean } = {}): Promise<OrgKeyRotation> {
    const base: AuditBase = { organizationId, actor, action: 'vault.keys.rotate', patientId: null, purpose: 'security' };
    try {
      // resume: no new version; finish re-wrapping under the current one (keys that processes still
      // holding the old version in their cache wrapped meanwhile, or a run that stopped half way).
      const current = await this.keyring.currentKeyId(organizationId); // NOT_FOUND: an organisation without keys has nothing to rotate
      const keyId = opts.resume === true ? current : await this.keyring.rotateOrganizationKey(organizationId);
      const result = await this.rewrapUnder(organizationId, keyId, opts.batchSize ?? 500);
      await this.keyring.retireVersionsBefore(organizationId, keyId);
      await this.audit.record({ ...base, outcome: 'success', resultCount: result.patientKeys });
      return result;
    } catch (err) {
      await this.audit.record({ ...base, outcome: 'failure', reason: isCareloopError(err) ? err.code.toLowerCase() : 'internal' });
      throw err;
    }
  }

  /**
   * Destroys the organisation's key versions retired before `retiredBefore`: whatever was sealed
   * under them (old Kafka records, expired conversation state) becomes unreadable noise. Refused
   * while any patient key or the index key is still wrapped by such a version (finish the rotation
   * with resume first). Audited as a security event.
   */
  async destroyRetiredKeys(actor: Actor, organizationId: string, retiredBefore: Date): Promise<string[]> {
    const base: AuditBase = { organizationId, actor, action: 'vault.keys.destroy', patientId: null, purpose: 'security' };
    try {
      const destroyed = await store.withTransaction(this.pool, async (client) => {
        const versions = await this.keyring.lockRetiredVersions(client, organizationId, retiredBefore);
        const ids = versions.map((v) => orgKeyId(organizationId, v));
        const inUse = ids.length === 0 ? 0 : await store.countKeysWrappedBy(client, organizationId, ids);
        if (inUse > 0) throw new CareloopError('CONFLICT', `${inUse} keys are still wrapped by a retired version; finish the rotation (keys rotate-org --resume) first`);
        await this.keyring.deleteVersions(client, organizationId, versions);
        await this.audit.record({ ...base, outcome: 'success', resultCount: ids.length }, client);
        return ids;
      });
      this.keyring.clearCache();
      return destroyed;
    } catch (err) {
      await this.audit.record({ ...base, outcome: 'failure', reason: isCareloopError(err) ? err.code.toLowerCase() : 'internal' });
      throw err;
    }
  }

  private async rewrapUnder(organizationId: string, keyId: string, batchSize: number): Promise<OrgKeyRotation> {
    const newKey = await this.keyring.keyById(keyId);
    const rewrap = async (row: store.WrappedKeyRow): Promise<boolean> => {
      const aad = row.owner === '' ? indexKeyAad(organizationId) : patientKeyAad(organizationId, row.owner);
      const key = await unwrapUnderOrgKey(this.keyring, organizationId, row.wrappedKey, row.wrappingKeyId, aad);
      return store.replaceWrappedKey(this.pool, organizationId, row, sealUnder(newKey, keyId, key, aad), keyId);
    };
    const result: OrgKeyRotation = { keyId, patientKeys: 0, indexKey: false };
    for (let after = ''; ;) {
      const rows = await store.keysNotWrappedBy(this.pool, organizationId, keyId, after, batchSize);
      for (const row of rows) if (await rewrap(row)) result.patientKeys++;
      const last = rows[rows.length - 1];
      if (last === undefined) break;
      after = last.owner;
    }
    const index = await store.indexKeyNotWrappedBy(this.pool, organizationId, keyId);
    if (index !== undefined) result.indexKey = await rewrap(index);
    return result;
  }

  /** A caller-supplied id goes into the audit log only if it has the shape of a pseudonymous id. */
  private auditablePatientId(patientId: string): string | null {
    return isPatientId(patientId) ? patientId : null;
  }
}
