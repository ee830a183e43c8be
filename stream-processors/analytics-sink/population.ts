import type { AvroRecords } from '../../schemas/generated/avro-types.js';

/**
 * A small synthetic population for the analytics tests, as data-flow records: each patient gets a
 * proactive dose question every day at their hour, answers on some days (reply an hour later and a
 * recorded dose), and a few ask for an appointment. Every choice is a pure function of the indices.
 */
export interface PopulationRecord { topic: string; value: unknown }

export const CANARY = 'CANARY-Maria-Lopez-555-0101';
const enc = (s: string) => ({ keyId: 'k1', nonce: Buffer.alloc(12), ciphertext: Buffer.from(s) });
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface PopulationOptions { organizationId: string; patients: number; days: number; start: number }

export const SEND_HOURS = [8, 14, 20] as const;
export const medicationOf = (p: number): string => (p % 2 === 0 ? 'Metformin 850 mg' : 'Atorvastatina 20 mg');
/** Patients of the second half enrol 20 days later: two cohorts. */
export const enrolDay = (p: number, o: PopulationOptions): number => (p < o.patients / 2 ? 0 : Math.min(20, o.days - 1));
export const answers = (p: number, d: number): boolean => (p * 31 + d * 17) % 10 < 4 + (p % 3) * 2;
export const takes = (p: number, d: number): boolean => (p + d) % 4 !== 0;
export const channelOf = (p: number): 'WEB' | 'SMS' => (p % 4 === 3 ? 'SMS' : 'WEB');

export function population(o: PopulationOptions): PopulationRecord[] {
  const out: PopulationRecord[] = [];
  for (let p = 0; p < o.patients; p++) {
    const patientId = `pt_${o.organizationId}_${p}`;
    const ids = { traceId: `t-${p}`, organizationId: o.organizationId, patientId };
    const channel = channelOf(p);
    for (let d = enrolDay(p, o); d < o.days; d++) {
      const sentAt = o.start + d * DAY + (SEND_HOURS[p % 3] as number) * HOUR;
      const key = `${o.organizationId}-${p}-${d}`;
      const signal: AvroRecords['PatientSignal'] = { ...ids, signalId: `sig-${key}`, type: 'dose_due', source: 'reminders', occurredAt: sentAt,
        attributes: { medication_id: `rx-${o.organizationId}-${p}`, occurrence_id: `dose_due:rx${p}:${new Date(sentAt).toISOString()}`, due_at: new Date(sentAt).toISOString(), note: CANARY }, payload: enc(CANARY) };
      const outbound: AvroRecords['OutboundMessage'] = { ...ids, messageId: `out-${key}`, channel, kind: 'PROACTIVE', replyTo: null, createdAt: sentAt,
        workflowId: 'medication-adherence', workflowVersion: 1, templateId: 'dose_question', variantId: `v${(p + d) % 2}`, propensity: 0.5, content: enc(CANARY) };
      out.push({ topic: 'patient.signals', value: signal }, { topic: 'chat.outbound', value: { ...outbound, propensity: 0.5 } });
      out.push({ topic: 'delivery.status', value: { messageId: outbound.messageId, traceId: ids.traceId, organizationId: ids.organizationId, patientId, channel, status: 'DELIVERED', at: sentAt + 1000, attempt: 1, errorCode: null } satisfies AvroRecords['DeliveryStatus'] });
      if (!answers(p, d)) continue;
      const at = sentAt + HOUR;
      out.push({ topic: 'delivery.status', value: { messageId: outbound.messageId, traceId: ids.traceId, organizationId: ids.organizationId, patientId, channel, status: 'READ', at: at - 60_000, attempt: 1, errorCode: null } satisfies AvroRecords['DeliveryStatus'] });
      out.push({ topic: 'chat.inbound', value: { ...ids, messageId: `in-${key}`, channel, clientMessageId: `c-${key}`, receivedAt: at, locale: 'en', text: enc(CANARY) } satisfies AvroRecords['InboundMessage'] });
      out.push({ topic: 'chat.intents', value: { ...ids, messageId: `in-${key}`, channel, clientMessageId: null, receivedAt: at, understoodAt: at + 40, language: 'en',
        intent: takes(p, d) ? 'medication_taken' : 'medication_skipped', confidence: 0.93, entityTypes: ['medication'], entities: enc(CANARY), text: enc(CANARY) } satisfies AvroRecords['UnderstoodMessage'] });
      out.push({ topic: 'patient.actions', value: { ...ids, actionId: `act-${key}`, type: 'record_adherence', occurredAt: at + 100, causedBy: `in-${key}`, workflowId: 'medication-adherence', workflowVersion: 1,
        attributes: { taken: String(takes(p, d)), medication: medicationOf(p), medication_id: `rx-${o.organizationId}-${p}`, answer: CANARY }, payload: enc(CANARY) } satisfies AvroRecords['PatientAction'] });
    }
    if (p % 2 === 0) {
      const at = o.start + (o.days - 3) * DAY + 10 * HOUR;
      const startsAt = new Date(at + (48 + (p % 5) * 24) * HOUR).toISOString();
      out.push({ topic: 'patient.actions', value: { ...ids, actionId: `book-${o.organizationId}-${p}`, type: 'book_appointment', occurredAt: at, causedBy: null, workflowId: 'appointment-booking', workflowVersion: 1,
        attributes: { starts_at: startsAt, visit: p % 4 === 0 ? 'checkup' : 'follow_up' }, payload: null } satisfies AvroRecords['PatientAction'] });
      if (p % 3 !== 0) {
        out.push({ topic: 'patient.signals', value: { ...ids, signalId: `booked-${o.organizationId}-${p}`, type: 'appointment_booked', source: 'booking', occurredAt: at + 60_000,
          attributes: { appointment_id: `appt-${o.organizationId}-${p}-0001`, starts_at: startsAt }, payload: null } satisfies AvroRecords['PatientSignal'] });
      }
    }
  }
  return out;
}
