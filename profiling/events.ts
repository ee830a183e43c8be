/*
 * Which records of the data flow change a profile, as ProfileEvents: pure mapping from the Avro value
 * of each topic of the profiling group. Records that say nothing about behaviour map to null. New event
 * types plug in here (one case) and in evolve().
 */
import type { DeliveryStatus, OutboundMessage, PatientAction, PatientSignal, UnderstoodMessage } from '../schemas/generated/avro-types.js';
import type { ProfileEvent } from './evolve.js';

export interface Mapped {
  patientId: string;
  organizationId: string;
  event: ProfileEvent;
}

function dueAt(s: PatientSignal): number {
  const raw = s.attributes['due_at'];
  const at = raw === undefined ? Number.NaN : Date.parse(raw);
  return Number.isFinite(at) ? at : s.occurredAt;
}

/** A push notification opens the web chat, so the profile counts it with the web (its hours are the web's). */
function profileChannel(c: 'WEB' | 'SMS' | 'PUSH'): 'WEB' | 'SMS' {
  return c === 'SMS' ? 'SMS' : 'WEB';
}

/** The profile event a record carries, or null; `topic` is the logical topic name. */
export function toProfileEvent(topic: string, value: unknown): Mapped | null {
  switch (topic) {
    case 'chat.intents': {
      const m = value as UnderstoodMessage;
      return { patientId: m.patientId, organizationId: m.organizationId, event: { kind: 'inbound', id: m.messageId, at: m.receivedAt, channel: profileChannel(m.channel), language: m.language } };
    }
    case 'chat.outbound': {
      const m = value as OutboundMessage;
      if (m.kind !== 'PROACTIVE') return null;
      return { patientId: m.patientId, organizationId: m.organizationId, event: { kind: 'prompt', id: m.messageId, at: m.createdAt, channel: profileChannel(m.channel) } };
    }
    case 'delivery.status': {
      const d = value as DeliveryStatus;
      if (d.status !== 'READ') return null;
      return { patientId: d.patientId, organizationId: d.organizationId, event: { kind: 'read', id: `${d.messageId}:read`, at: d.at, channel: profileChannel(d.channel) } };
    }
    case 'patient.signals': {
      const s = value as PatientSignal;
      if (s.type !== 'dose_due') return null;
      return { patientId: s.patientId, organizationId: s.organizationId, event: { kind: 'dose_due', id: s.signalId, at: dueAt(s) } };
    }
    case 'patient.actions': {
      const a = value as PatientAction;
      if (a.type !== 'record_adherence') return null;
      return { patientId: a.patientId, organizationId: a.organizationId, event: { kind: 'adherence', id: a.actionId, at: a.occurredAt, taken: a.attributes['taken'] === 'true' } };
    }
    default:
      return null;
  }
}
