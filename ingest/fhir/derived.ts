import { createHash } from 'node:crypto';
import type { HistoryEntry } from '../../platform/stores/chat-history.js';

/*
 * Resources Careloop itself produces (not imported): conversation lines as Communication, recorded
 * adherence as MedicationStatement. Pure: the rows come in, FHIR R4 JSON goes out.
 */

export const DERIVED_TYPES = ['Communication', 'MedicationStatement'] as const;
export type DerivedType = (typeof DERIVED_TYPES)[number];

export function isDerivedType(t: string): t is DerivedType {
  return (DERIVED_TYPES as readonly string[]).includes(t);
}

export const MESSAGE_SYSTEM = 'https://careloop.dev/fhir/sid/message-id';
export const ACTION_SYSTEM = 'https://careloop.dev/fhir/sid/action-id';
const ASSISTANT = { display: 'Careloop assistant' };

/** A FHIR id (64 chars of [A-Za-z0-9-.]) derived from ours: stable across exports, opaque. */
export function derivedId(prefix: string, ...parts: string[]): string {
  return `${prefix}-${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 40)}`;
}

/** One line of the patient's conversation, as the patient saw it. */
export function communicationOf(patientId: string, line: HistoryEntry): Record<string, unknown> {
  const patient = { reference: `Patient/${patientId}` };
  return {
    resourceType: 'Communication',
    id: derivedId('cm', patientId, line.id),
    identifier: [{ system: MESSAGE_SYSTEM, value: line.id }],
    status: 'completed',
    medium: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationMode', code: 'WRITTEN', display: 'written' }] }],
    subject: patient,
    sent: new Date(line.at).toISOString(),
    sender: line.from === 'patient' ? patient : ASSISTANT,
    recipient: [line.from === 'patient' ? ASSISTANT : patient],
    payload: [{ contentString: line.text }],
  };
}

export interface AdherenceRow {
  id: string;
  patientId: string;
  medicationId: string | null;
  /** The care-plan name of the medication, when the event names one. */
  medicationName: string | null;
  /** True when the medication is an imported MedicationRequest (a reference then resolves). */
  fromRequest: boolean;
  taken: boolean;
  occurredAt: Date;
}

/** One recorded dose, taken or not, as the patient reported it in the conversation. */
export function medicationStatementOf(row: AdherenceRow): Record<string, unknown> {
  const patient = { reference: `Patient/${row.patientId}` };
  const at = row.occurredAt.toISOString();
  return {
    resourceType: 'MedicationStatement',
    id: derivedId('ms', row.patientId, row.id),
    identifier: [{ system: ACTION_SYSTEM, value: row.id }],
    ...(row.fromRequest && row.medicationId !== null ? { basedOn: [{ reference: `MedicationRequest/${row.medicationId}` }] } : {}),
    status: row.taken ? 'completed' : 'not-taken',
    medicationCodeableConcept: { text: row.medicationName ?? 'medication not named in the conversation' },
    subject: patient,
    effectiveDateTime: at,
    dateAsserted: at,
    informationSource: patient,
  };
}
