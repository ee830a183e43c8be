/*
 * Caregivers a patient named and every contact with one (PostgreSQL); each contact is written with
 * its audit event in one transaction, so no caregiver hears anything that the audit log does not show.
 */
import type { AuditLog } from '../audit/audit-log.js';
import type { Actor } from '../audit/types.js';
import type { Sealed } from '../crypto/envelope.js';
import type { Caregiver, CaregiverContact, CaregiverScope } from '../reminders/caregiver.js';
import { withTransaction, type PgPool } from '../storage/postgres.js';

export interface CaregiverInput {
  organizationId: string;
  id: string;
  patientId: string;
  /** care.related_persons.id, when named through FHIR. */
  relatedPersonId?: string | null;
  channel: 'sms' | 'web';
  /** The vault reference of the caregiver's address (never the address itself). */
  contactRef: string;
  consented: boolean;
  scope: CaregiverScope;
}

export interface StoredCaregiver extends Caregiver {
  patientId: string;
  channel: 'sms' | 'web';
  /** The phone sealed with the organisation's key under the subject `cgv_<id>`; null before one is given. */
  phone: Sealed | null;
}

export class CaregiverStore {
  constructor(private readonly pool: PgPool, private readonly deployment: string, private readonly audit: AuditLog) {}

  /** Names or updates a caregiver (the API, or a FHIR RelatedPerson with the patient's consent); opting out survives an update. */
  async upsert(c: CaregiverInput): Promise<void> {
    await this.pool.query(
      `INSERT INTO reminders.caregivers (organization_id, id, patient_id, related_person_id, channel, contact_ref, consented, scope)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (organization_id, id) DO UPDATE SET related_person_id = EXCLUDED.related_person_id, channel = EXCLUDED.channel,
         contact_ref = EXCLUDED.contact_ref, consented = EXCLUDED.consented, scope = EXCLUDED.scope, updated_at = now()`,
      [c.organizationId, c.id, c.patientId, c.relatedPersonId ?? null, c.channel, c.contactRef, c.consented, c.scope]);
  }

  /** Stores the caregiver's phone sealed, with its blind index (the number itself is never a column). */
  async setPhone(organizationId: string, id: string, sealed: Sealed, digest: Buffer): Promise<void> {
    await this.pool.query('UPDATE reminders.caregivers SET phone_key_id = $3, phone_nonce = $4, phone_ciphertext = $5, phone_digest = $6, updated_at = now() WHERE organization_id = $1 AND id = $2',
      [organizationId, id, sealed.keyId, sealed.nonce, sealed.ciphertext, digest]);
  }

  /** One caregiver with its sealed phone, for delivery (re-checked at send time). */
  async get(organizationId: string, id: string): Promise<StoredCaregiver | null> {
    const { rows: [r] } = await this.pool.query<{ id: string; patient_id: string; consented: boolean; scope: CaregiverScope; opted_out: boolean; active: boolean; channel: 'sms' | 'web'; phone_key_id: string | null; phone_nonce: Buffer | null; phone_ciphertext: Buffer | null }>(
      `SELECT id, patient_id, consented, scope, opted_out, active, channel, phone_key_id, phone_nonce, phone_ciphertext FROM reminders.caregivers
        WHERE organization_id = $1 AND id = $2`, [organizationId, id]);
    if (r === undefined) return null;
    const phone = r.phone_key_id !== null && r.phone_nonce !== null && r.phone_ciphertext !== null ? { keyId: r.phone_key_id, nonce: r.phone_nonce, ciphertext: r.phone_ciphertext } : null;
    return { id: r.id, patientId: r.patient_id, consented: r.consented, scope: r.scope, optedOut: r.opted_out, active: r.active, channel: r.channel, phone };
  }

  /** The caregivers whose phone has this blind index (one number may care for several patients). */
  async byPhoneDigest(organizationId: string, digest: Buffer): Promise<Array<{ id: string; patientId: string }>> {
    const { rows } = await this.pool.query<{ id: string; patient_id: string }>('SELECT id, patient_id FROM reminders.caregivers WHERE organization_id = $1 AND phone_digest = $2 ORDER BY id', [organizationId, digest]);
    return rows.map((r) => ({ id: r.id, patientId: r.patient_id }));
  }

  /** Removes a caregiver; past contacts stay in caregiver_contacts and the audit log. */
  async remove(organizationId: string, patientId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM reminders.caregivers WHERE organization_id = $1 AND patient_id = $2 AND id = $3', [organizationId, patientId, id]);
    return (rowCount ?? 0) > 0;
  }

  /** A caregiver's STOP or START by text, with its audit event in the same transaction. */
  async optOutByText(organizationId: string, caregiver: { id: string; patientId: string }, optedOut: boolean, actor: Actor): Promise<void> {
    await withTransaction(this.pool, async (client) => {
      await client.query('UPDATE reminders.caregivers SET opted_out = $3, updated_at = now() WHERE organization_id = $1 AND id = $2', [organizationId, caregiver.id, optedOut]);
      await this.audit.record({
        organizationId, actor, action: optedOut ? 'reminders.caregiver.opt_out' : 'reminders.caregiver.opt_in', patientId: caregiver.patientId,
        purpose: 'treatment', outcome: 'success', fields: ['caregiverId'],
      }, client);
    });
  }

  /** After how many missed doses in a row the organisation tells caregivers. */
  async threshold(organizationId: string): Promise<number> {
    const { rows: [r] } = await this.pool.query<{ n: number }>('SELECT caregiver_missed_threshold AS n FROM organizations WHERE id = $1', [organizationId]);
    return r?.n ?? 3;
  }

  /** The caregiver said STOP (or START again). */
  async setOptedOut(organizationId: string, id: string, optedOut: boolean): Promise<void> {
    await this.pool.query('UPDATE reminders.caregivers SET opted_out = $3, updated_at = now() WHERE organization_id = $1 AND id = $2', [organizationId, id, optedOut]);
  }

  /** A patient's caregivers; one whose FHIR RelatedPerson is no longer active is inactive too. */
  async of(organizationId: string, patientId: string): Promise<Array<Caregiver & { channel: 'sms' | 'web' }>> {
    const { rows } = await this.pool.query<{ id: string; consented: boolean; scope: CaregiverScope; opted_out: boolean; active: boolean; rp_active: boolean | null; channel: 'sms' | 'web' }>(
      `SELECT c.id, c.consented, c.scope, c.opted_out, c.active, rp.active AS rp_active, c.channel FROM reminders.caregivers c
         LEFT JOIN care.related_persons rp ON rp.organization_id = c.organization_id AND rp.id = c.related_person_id
        WHERE c.organization_id = $1 AND c.patient_id = $2 ORDER BY c.id`, [organizationId, patientId]);
    return rows.map((r) => ({ id: r.id, consented: r.consented, scope: r.scope, optedOut: r.opted_out, active: r.active && r.rp_active !== false, channel: r.channel }));
  }

  /** The contact keys already used for this patient (one contact per run of missed doses). */
  async contactedKeys(patientId: string): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ contact_key: string }>('SELECT contact_key FROM reminders.caregiver_contacts WHERE deployment = $1 AND patient_id = $2', [this.deployment, patientId]);
    return new Set(rows.map((r) => r.contact_key));
  }

  /** Records one contact with its audit event; false when this run was already reported (a replay). */
  async recordContact(organizationId: string, patientId: string, contact: CaregiverContact, key: string, at: number): Promise<boolean> {
    return withTransaction(this.pool, async (client) => {
      const { rowCount } = await client.query(
        `INSERT INTO reminders.caregiver_contacts (deployment, contact_key, organization_id, patient_id, caregiver_id, template_id, missed, contacted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
        [this.deployment, key, organizationId, patientId, contact.caregiverId, contact.templateId, contact.missed, new Date(at)]);
      if (rowCount === 0) return false;
      await this.audit.record({
        organizationId, actor: { kind: 'service', id: 'scheduler', service: 'scheduler' }, action: 'reminders.caregiver.contact', patientId,
        purpose: 'treatment', outcome: 'success', fields: contact.medicationIds.length > 0 ? ['missedDoses', 'medication'] : ['missedDoses'],
      }, client);
      return true;
    });
  }
}
