/*
 * The caregiver's text: a `notify_caregiver` action on patient.actions (ids and a template only)
 * becomes a proactive SMS record on chat.outbound for `cgv_<caregiver id>`, with the text and the
 * caregiver's number inside the sealed content, so the SMS queue, quiet hours and the edge policy
 * treat it like any other text. The medication names are looked up only when consent allows.
 */
import { createHash } from 'node:crypto';
import type { OutboundMessage, PatientAction } from '../../schemas/generated/avro-types.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { Publisher } from '../../platform/kafka/publisher.js';
import { CAREGIVER_PREFIX, caregiverText, type CaregiverContact } from '../../platform/reminders/caregiver.js';
import type { SmsAccounts } from '../../platform/sms/accounts.js';
import type { PgPool } from '../../platform/storage/postgres.js';
import type { CaregiverStore } from '../../platform/stores/caregivers.js';
import { carePlanTextColumns, openCarePlanTexts, type CarePlanTextCells } from '../../platform/stores/care-plan-text.js';
import type { Vault } from '../../platform/vault/vault.js';

export interface CaregiverNotifierDeps {
  caregivers: CaregiverStore;
  accounts: SmsAccounts;
  keyring: Keyring;
  vault: Vault;
  pool: PgPool;
  publisher: Pick<Publisher, 'publish'>;
  now: () => number;
}

const ACTOR = { kind: 'service', id: 'delivery-sms', service: 'delivery-sms' } as const;

/** A stable message id per action, so a replayed action is deduplicated by the SMS queue. */
export function caregiverMessageId(actionId: string): string {
  const h = createHash('sha256').update(actionId).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The contact an action describes, or null when it is not a caregiver text this service sends. */
export function contactOf(a: PatientAction): CaregiverContact | null {
  const attrs = a.attributes;
  if (a.type !== 'notify_caregiver' || attrs.channel !== 'sms' || attrs.caregiver_id === undefined) return null;
  const templateId = attrs.template_id === 'caregiver_missed_doses_medication' ? 'caregiver_missed_doses_medication' : 'caregiver_missed_doses';
  const medicationIds = templateId === 'caregiver_missed_doses_medication' && attrs.medication_ids !== undefined && attrs.medication_ids !== '' ? attrs.medication_ids.split(',') : [];
  return { caregiverId: attrs.caregiver_id, templateId, missed: Number(attrs.missed ?? '0'), medicationIds };
}

export class CaregiverNotifier {
  constructor(private readonly d: CaregiverNotifierDeps) {}

  /** Publishes the caregiver's text; 'skipped' when the caregiver cannot be texted (no phone, gone, no account). */
  async handle(a: PatientAction): Promise<'published' | 'skipped' | 'ignored'> {
    const contact = contactOf(a);
    if (contact === null) return 'ignored';
    const org = a.organizationId;
    const caregiver = await this.d.caregivers.get(org, contact.caregiverId);
    const account = await this.d.accounts.byOrganization(org);
    if (caregiver === null || caregiver.phone === null || caregiver.patientId !== a.patientId || account === null) return 'skipped';
    const subject = CAREGIVER_PREFIX + caregiver.id;
    const to = await this.d.keyring.openText(org, subject, caregiver.phone);
    const identity = await this.d.vault.getIdentity(ACTOR, org, a.patientId, 'treatment').catch(() => null);
    const text = caregiverText(contact, { patient: identity?.givenName ?? 'Someone you care for', org: account.displayName, medications: await this.medicationNames(org, a.patientId, contact) });
    const message: OutboundMessage = {
      messageId: caregiverMessageId(a.actionId), traceId: a.traceId, organizationId: org, patientId: subject, channel: 'SMS', kind: 'PROACTIVE', replyTo: null,
      createdAt: this.d.now(), workflowId: null, workflowVersion: null, templateId: contact.templateId, variantId: null, propensity: null,
      content: await this.d.keyring.sealText(org, subject, JSON.stringify({ text, quickReplies: [], to })),
    };
    await this.d.publisher.publish('chat.outbound', [{ key: subject, value: message }]);
    return 'published';
  }

  /** Only for the template consent allows; the names never leave the sealed content. */
  private async medicationNames(org: string, patientId: string, c: CaregiverContact): Promise<string> {
    if (c.templateId !== 'caregiver_missed_doses_medication' || c.medicationIds.length === 0) return 'their medication';
    const { rows } = await this.d.pool.query<CarePlanTextCells>(`SELECT ${carePlanTextColumns()} FROM patient_medications WHERE organization_id = $1 AND patient_id = $2 AND id = ANY($3)`, [org, patientId, c.medicationIds]);
    const names = (await openCarePlanTexts(this.d.keyring, rows)).map((t) => t.name).sort();
    return names.length === 0 ? 'their medication' : names.join(' and ');
  }
}
