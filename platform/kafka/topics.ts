/**
 * Topics as code: every topic on the data flow, its partitions, retention, compaction and the Avro
 * record its values hold, declared once and applied idempotently at start.
 */
export interface TopicSpec {
  /** Logical name; the physical name is the configured prefix + this. */
  name: string;
  partitions: number;
  /** The .avsc file (without extension) in schemas/avro/ that every value of this topic follows. */
  valueSchema: string;
  cleanup: 'delete' | 'compact';
  /** Retention in ms; -1 keeps forever (compacted config topics). */
  retentionMs: number;
  doc: string;
}

const DAY = 86_400_000;

export const TOPICS = [
  { name: 'chat.inbound', partitions: 12, valueSchema: 'InboundMessage', cleanup: 'delete', retentionMs: 7 * DAY, doc: 'every patient message from WebSocket and SMS, keyed by pseudonymous patient id' },
  { name: 'chat.intents', partitions: 12, valueSchema: 'UnderstoodMessage', cleanup: 'delete', retentionMs: 7 * DAY, doc: 'inbound messages with the detected intent and entities, for the dialogue processor' },
  { name: 'chat.outbound', partitions: 12, valueSchema: 'OutboundMessage', cleanup: 'delete', retentionMs: 7 * DAY, doc: 'replies and proactive messages to deliver, keyed by patient id' },
  { name: 'patient.signals', partitions: 12, valueSchema: 'PatientSignal', cleanup: 'delete', retentionMs: 30 * DAY, doc: 'facts about a patient from EHR/FHIR, schedulers and the admin API' },
  { name: 'patient.actions', partitions: 12, valueSchema: 'PatientAction', cleanup: 'delete', retentionMs: 30 * DAY, doc: 'actions the dialogue asks for: record adherence, remind, book, escalate, opt out' },
  { name: 'delivery.status', partitions: 12, valueSchema: 'DeliveryStatus', cleanup: 'delete', retentionMs: 30 * DAY, doc: 'delivery receipts of outbound messages' },
  { name: 'config.workflows', partitions: 1, valueSchema: 'WorkflowPublished', cleanup: 'compact', retentionMs: -1, doc: 'the published workflow version of each organisation, compacted' },
  { name: 'audit.anchors', partitions: 1, valueSchema: 'AuditAnchor', cleanup: 'compact', retentionMs: -1, doc: 'audit chain heads copied out of PostgreSQL, so a rewritten chain is detectable; compacted by organisation' },
  { name: 'hospital.requests', partitions: 12, valueSchema: 'HospitalRequest', cleanup: 'delete', retentionMs: 7 * DAY, doc: 'outbound calls to an organisation\'s EHR (book, cancel), keyed by patient id, retried and dead-lettered by the hospital-outbound group' },
] as const satisfies readonly TopicSpec[];

export type TopicName = (typeof TOPICS)[number]['name'];

/** Consumer groups: each has its own dead-letter topic for records it cannot process. */
export interface GroupSpec {
  id: string;
  topics: readonly TopicName[];
  doc: string;
}

export const GROUPS = [
  { id: 'intent', topics: ['chat.inbound'], doc: 'intent detection' },
  { id: 'dialogue', topics: ['chat.intents', 'patient.signals'], doc: 'workflow runtime' },
  { id: 'delivery-ws', topics: ['chat.outbound'], doc: 'WebSocket delivery' },
  { id: 'actions', topics: ['patient.actions'], doc: 'records adherence, consent and escalations in the system of record' },
  { id: 'profiling', topics: ['chat.intents', 'patient.actions', 'delivery.status', 'patient.signals', 'chat.outbound'], doc: 'behavioural profiles' },
  { id: 'analytics-sink', topics: ['chat.inbound', 'chat.intents', 'chat.outbound', 'patient.signals', 'patient.actions', 'delivery.status'], doc: 'ClickHouse analytics, pseudonymous and without text' },
  { id: 'delivery-push', topics: ['chat.outbound'], doc: 'Web Push and FCM notifications, and fallbacks of unseen reminders' },
  { id: 'delivery-sms', topics: ['chat.outbound'], doc: 'SMS delivery through Twilio' },
  { id: 'reminder-planner', topics: ['patient.signals'], doc: 're-plans a patient\'s reminders on a care-plan change' },
  { id: 'booking', topics: ['patient.actions'], doc: 'finds services and free slots, holds slots for bookings, queues the calls to the hospital' },
  { id: 'hospital-outbound', topics: ['hospital.requests'], doc: 'books and cancels at the organisation\'s FHIR server; the answer decides what the patient is told' },
  { id: 'delivery-sms-caregiver', topics: ['patient.actions'], doc: 'turns notify_caregiver actions into texts to the caregiver' },
] as const satisfies readonly GroupSpec[];

export type GroupId = (typeof GROUPS)[number]['id'];

export const DEAD_LETTER_SCHEMA = 'DeadLetter';
export const DEAD_LETTER_RETENTION_MS = 30 * DAY;

export function deadLetterTopicName(groupId: string): string {
  return `dlq.${groupId}`;
}

/** Every topic to create: the data-flow topics and one dead-letter topic per group. */
export function allTopics(): TopicSpec[] {
  const dlqs: TopicSpec[] = GROUPS.map((g) => ({
    name: deadLetterTopicName(g.id),
    partitions: 3,
    valueSchema: DEAD_LETTER_SCHEMA,
    cleanup: 'delete',
    retentionMs: DEAD_LETTER_RETENTION_MS,
    doc: `records the ${g.id} group could not process, with the reason`,
  }));
  return [...TOPICS, ...dlqs];
}

/** The broker-side settings of a topic. */
export function topicConfigEntries(spec: TopicSpec): Record<string, string> {
  return {
    'cleanup.policy': spec.cleanup,
    'retention.ms': String(spec.retentionMs),
    ...(spec.cleanup === 'compact' ? { 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': String(DAY) } : {}),
  };
}

type TopicSpecOf<T extends TopicName> = Extract<(typeof TOPICS)[number], { name: T }>;
/** The record name a topic's values follow, as a type: TopicSchema<'chat.inbound'> = 'InboundMessage'. */
export type TopicSchema<T extends TopicName> = TopicSpecOf<T>['valueSchema'];
