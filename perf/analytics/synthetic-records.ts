import type { AvroRecords } from '../../schemas/generated/avro-types.js';

/** One synthetic data-flow record, a pure function of its index: the same mix on every run. */
export interface SyntheticRecord { topic: string; key: string; value: unknown }

const PATIENTS = 20_000;
const enc = { keyId: 'k1', nonce: Buffer.alloc(12), ciphertext: Buffer.alloc(48) };
const MEDICATIONS = ['Metformin 500 mg', 'Lisinopril 10 mg', 'Atorvastatin 20 mg', 'Levothyroxine 50 mcg'];

/**
 * The mix: 30 % inbound messages, 15 % understood messages, 25 % outbound (half proactive with a
 * variant), 10 % dose outcomes, 5 % dose reminders, 15 % delivery receipts; 20,000 patients in
 * five organisations over 30 days.
 */
export function syntheticRecord(k: number, base: number): SyntheticRecord {
  // Patients cycle independently of the record kind (k % 20): every patient gets every kind.
  const p = Math.floor(k / 7) % PATIENTS;
  const patientId = `pt_perf${p}`;
  const ids = { traceId: `t${k}`, organizationId: `org_perf_${p % 5}`, patientId };
  const at = base + ((k * 7919) % (30 * 86_400)) * 1000;
  const slot = k % 20;
  const id = `rec-${k}`;
  if (slot < 6) {
    const v: AvroRecords['InboundMessage'] = { ...ids, messageId: id, channel: k % 3 === 0 ? 'SMS' : 'WEB', clientMessageId: null, receivedAt: at, locale: 'en', text: enc };
    return { topic: 'chat.inbound', key: patientId, value: v };
  }
  if (slot < 9) {
    const v: AvroRecords['UnderstoodMessage'] = {
      ...ids, messageId: id, channel: 'WEB', clientMessageId: null, receivedAt: at, understoodAt: at + 30, language: 'en',
      intent: k % 2 === 0 ? 'medication_taken' : 'greeting', confidence: 0.9, entityTypes: [], entities: enc, text: enc,
    };
    return { topic: 'chat.intents', key: patientId, value: v };
  }
  if (slot < 14) {
    const proactive = slot < 11;
    const v: AvroRecords['OutboundMessage'] = {
      ...ids, messageId: id, channel: 'WEB', kind: proactive ? 'PROACTIVE' : 'REPLY', replyTo: null, createdAt: at,
      workflowId: 'medication-adherence', workflowVersion: 1, templateId: proactive ? 'dose_question' : null,
      variantId: proactive ? `v${k % 3}` : null, propensity: proactive ? 1 / 3 : null, content: enc,
    };
    return { topic: 'chat.outbound', key: patientId, value: v };
  }
  if (slot < 16) {
    const v: AvroRecords['PatientAction'] = {
      ...ids, actionId: id, type: 'record_adherence', occurredAt: at, causedBy: null, workflowId: 'medication-adherence', workflowVersion: 1,
      attributes: { taken: Math.floor(k / 20) % 5 === 0 ? 'false' : 'true', medication: MEDICATIONS[p % MEDICATIONS.length] as string, medication_id: `rx-${p}-1` }, payload: null,
    };
    return { topic: 'patient.actions', key: patientId, value: v };
  }
  if (slot < 17) {
    const v: AvroRecords['PatientSignal'] = {
      ...ids, signalId: id, type: 'dose_due', source: 'reminders', occurredAt: at,
      attributes: { medication_id: `rx-${p}-1`, occurrence_id: `dose_due:rx-${p}-1:${new Date(at).toISOString()}`, due_at: new Date(at).toISOString() }, payload: null,
    };
    return { topic: 'patient.signals', key: patientId, value: v };
  }
  const v: AvroRecords['DeliveryStatus'] = { messageId: `rec-${k - 3}`, traceId: ids.traceId, organizationId: ids.organizationId, patientId, channel: 'WEB', status: slot === 19 ? 'READ' : 'DELIVERED', at, attempt: 1, errorCode: null };
  return { topic: 'delivery.status', key: patientId, value: v };
}
