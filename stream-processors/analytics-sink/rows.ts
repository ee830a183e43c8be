import type { AvroRecords } from '../../schemas/generated/avro-types.js';
import type { TopicName } from '../../platform/kafka/topics.js';
import { safeAttributes } from './attributes.js';

/**
 * One analytics row: pseudonymous ids, event kind and derived features only. Text, entity values
 * and encrypted payloads never reach ClickHouse.
 */
export interface EventRow {
  event_date: string;
  event_time: number;
  organization_id: string;
  patient_id: string;
  topic: string;
  event_type: string;
  channel: string;
  record_id: string;
  workflow_id: string;
  workflow_version: number;
  score: number;
  attr_keys: string[];
  attr_values: string[];
}

// Records of a few days share their date strings: formatting a Date per record is a real cost at 100k/s.
const dates = new Map<number, string>();
function dateOf(at: number): string {
  const day = Math.floor(at / 86_400_000);
  let date = dates.get(day);
  if (date === undefined) {
    if (dates.size >= 1024) dates.clear();
    date = new Date(day * 86_400_000).toISOString().slice(0, 10);
    dates.set(day, date);
  }
  return date;
}

function base(topic: TopicName, at: number, org: string, patient: string, recordId: string): EventRow {
  return {
    event_date: dateOf(at),
    event_time: Math.floor(at / 1000),
    organization_id: org,
    patient_id: patient,
    topic,
    event_type: '',
    channel: '',
    record_id: recordId,
    workflow_id: '',
    workflow_version: 0,
    score: 0,
    attr_keys: [],
    attr_values: [],
  };
}

function attrs(row: EventRow, map: Record<string, string>): EventRow {
  const keys = Object.keys(map).sort();
  return { ...row, attr_keys: keys, attr_values: keys.map((k) => map[k] as string) };
}

/** Maps a record of a data-flow topic to its analytics row; null for topics not analysed. */
export function toEventRow(topic: string, value: unknown): EventRow | null {
  switch (topic as TopicName) {
    case 'chat.inbound': {
      const v = value as AvroRecords['InboundMessage'];
      return attrs({ ...base('chat.inbound', v.receivedAt, v.organizationId, v.patientId, v.messageId), event_type: 'message_received', channel: v.channel }, v.locale === null ? {} : { locale: v.locale });
    }
    case 'chat.intents': {
      const v = value as AvroRecords['UnderstoodMessage'];
      return attrs(
        { ...base('chat.intents', v.understoodAt, v.organizationId, v.patientId, v.messageId), event_type: 'intent_detected', channel: v.channel, score: v.confidence },
        { intent: v.intent, language: v.language, entity_types: v.entityTypes.join(','), latency_ms: String(v.understoodAt - v.receivedAt) },
      );
    }
    case 'chat.outbound': {
      const v = value as AvroRecords['OutboundMessage'];
      const a: Record<string, string> = { kind: v.kind };
      if (v.templateId !== null) a['template'] = v.templateId;
      if (v.variantId !== null) a['variant'] = v.variantId;
      if (v.replyTo !== null) a['reply_to'] = v.replyTo;
      // The policy's probability of the chosen variant (IPS/DR estimates offline).
      const propensity = v.propensity;
      if (typeof propensity === 'number' && Number.isFinite(propensity)) a['propensity'] = String(propensity);
      return attrs({ ...base('chat.outbound', v.createdAt, v.organizationId, v.patientId, v.messageId), event_type: 'message_sent', channel: v.channel, workflow_id: v.workflowId ?? '', workflow_version: v.workflowVersion ?? 0 }, a);
    }
    case 'patient.signals': {
      const v = value as AvroRecords['PatientSignal'];
      return attrs({ ...base('patient.signals', v.occurredAt, v.organizationId, v.patientId, v.signalId), event_type: `signal.${v.type}` }, safeAttributes({ ...v.attributes, source: v.source }));
    }
    case 'patient.actions': {
      const v = value as AvroRecords['PatientAction'];
      return attrs({ ...base('patient.actions', v.occurredAt, v.organizationId, v.patientId, v.actionId), event_type: `action.${v.type}`, workflow_id: v.workflowId ?? '', workflow_version: v.workflowVersion ?? 0 }, safeAttributes(v.attributes));
    }
    case 'delivery.status': {
      const v = value as AvroRecords['DeliveryStatus'];
      const a: Record<string, string> = { attempt: String(v.attempt) };
      if (v.errorCode !== null) a['error_code'] = v.errorCode;
      return attrs({ ...base('delivery.status', v.at, v.organizationId, v.patientId, `${v.messageId}:${v.status}:${v.attempt}`), event_type: `delivery.${v.status.toLowerCase()}`, channel: v.channel }, a);
    }
    case 'config.workflows':
    case 'audit.anchors':
    case 'hospital.requests': // calls to a hospital, not patient events: their outcomes arrive as signals
      return null;
  }
  return null;
}
