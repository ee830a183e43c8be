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

function row(topic: TopicName, at: number, org: string, patient: string, recordId: string, eventType: string, channel: string, map: Record<string, string>,
  workflowId = '', workflowVersion = 0, score = 0): EventRow {
  const keys = Object.keys(map);
  if (keys.length > 1) keys.sort();
  const values = new Array<string>(keys.length);
  for (let i = 0; i < keys.length; i++) values[i] = map[keys[i] as string] as string;
  return {
    event_date: dateOf(at),
    event_time: Math.floor(at / 1000),
    organization_id: org,
    patient_id: patient,
    topic,
    event_type: eventType,
    channel,
    record_id: recordId,
    workflow_id: workflowId,
    workflow_version: workflowVersion,
    score,
    attr_keys: keys,
    attr_values: values,
  };
}

/** The columns of `events` in the order `tsvLine` writes them. */
export const EVENT_COLUMNS = ['event_date', 'event_time', 'organization_id', 'patient_id', 'topic', 'event_type', 'channel', 'record_id', 'workflow_id', 'workflow_version', 'score', 'attr_keys', 'attr_values'] as const;

const SPECIAL = /[\\\t\n\r\0']/;
const SPECIAL_ALL = /[\\\t\n\r\0']/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0', "'": "\\'" };
/** A string escaped for ClickHouse's TabSeparated format (also valid quoted inside an array). */
function esc(s: string): string {
  return SPECIAL.test(s) ? s.replace(SPECIAL_ALL, (c) => ESCAPES[c] as string) : s;
}
function arr(items: readonly string[]): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) out += (i === 0 ? "'" : ",'") + esc(items[i] as string) + "'";
  return out + ']';
}
function num(x: number): string {
  return Number.isFinite(x) ? String(x) : '0';
}

/** One row as a line of ClickHouse's TabSeparated format, columns as in EVENT_COLUMNS. */
export function tsvLine(r: EventRow): string {
  return r.event_date + '\t' + num(r.event_time) + '\t' + esc(r.organization_id) + '\t' + esc(r.patient_id) + '\t' + esc(r.topic) + '\t' + esc(r.event_type)
    + '\t' + esc(r.channel) + '\t' + esc(r.record_id) + '\t' + esc(r.workflow_id) + '\t' + num(Math.max(0, Math.trunc(r.workflow_version))) + '\t' + num(r.score)
    + '\t' + arr(r.attr_keys) + '\t' + arr(r.attr_values) + '\n';
}

/** Maps a record of a data-flow topic to its analytics row; null for topics not analysed. */
export function toEventRow(topic: string, value: unknown): EventRow | null {
  switch (topic as TopicName) {
    case 'chat.inbound': {
      const v = value as AvroRecords['InboundMessage'];
      return row('chat.inbound', v.receivedAt, v.organizationId, v.patientId, v.messageId, 'message_received', v.channel, v.locale === null ? {} : { locale: v.locale });
    }
    case 'chat.intents': {
      const v = value as AvroRecords['UnderstoodMessage'];
      return row('chat.intents', v.understoodAt, v.organizationId, v.patientId, v.messageId, 'intent_detected', v.channel,
        { intent: v.intent, language: v.language, entity_types: v.entityTypes.join(','), latency_ms: String(v.understoodAt - v.receivedAt) }, '', 0, v.confidence);
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
      return row('chat.outbound', v.createdAt, v.organizationId, v.patientId, v.messageId, 'message_sent', v.channel, a, v.workflowId ?? '', v.workflowVersion ?? 0);
    }
    case 'patient.signals': {
      const v = value as AvroRecords['PatientSignal'];
      return row('patient.signals', v.occurredAt, v.organizationId, v.patientId, v.signalId, `signal.${v.type}`, '', safeAttributes({ ...v.attributes, source: v.source }));
    }
    case 'patient.actions': {
      const v = value as AvroRecords['PatientAction'];
      return row('patient.actions', v.occurredAt, v.organizationId, v.patientId, v.actionId, `action.${v.type}`, '', safeAttributes(v.attributes), v.workflowId ?? '', v.workflowVersion ?? 0);
    }
    case 'delivery.status': {
      const v = value as AvroRecords['DeliveryStatus'];
      const a: Record<string, string> = { attempt: String(v.attempt) };
      if (v.errorCode !== null) a['error_code'] = v.errorCode;
      return row('delivery.status', v.at, v.organizationId, v.patientId, `${v.messageId}:${v.status}:${v.attempt}`, `delivery.${v.status.toLowerCase()}`, v.channel, a);
    }
    case 'config.workflows':
    case 'audit.anchors':
    case 'hospital.requests': // calls to a hospital, not patient events: their outcomes arrive as signals
      return null;
  }
  return null;
}
