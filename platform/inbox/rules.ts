import { createHash, createHmac } from 'node:crypto';
import { PRIORITIES, type InboxSettings, type NewTask, type OnCallContact, type Priority, type Sla, type Task, type TaskKind } from './types.js';

/** The action types that become tasks; a failed booking sends `escalate` with reason `booking_failed`. */
export const TASK_ACTION_TYPES = ['escalate', 'handoff'] as const;

/**
 * The patient.actions record another service sends to raise a task: `escalate` with a reason code,
 * a priority and optionally a sub-code (`category`: the emergency's category; for a failed booking
 * hospital_refused, hospital_unavailable or slot_taken). Codes only: the patient's words travel
 * sealed in the action's payload, never in attributes. `channel` and `language` default to the web
 * and the patient's preferred language.
 */
export function escalationAction(reason: (typeof KNOWN_REASONS)[number] | string, priority: Priority = 'normal', category?: string): { type: 'escalate'; attributes: Record<string, string> } {
  return { type: 'escalate', attributes: { reason, priority, ...(category === undefined ? {} : { category }) } };
}

/** The reasons the product raises today; a workflow may raise others (any code of the same shape). */
export const KNOWN_REASONS = ['emergency', 'patient_request', 'side_effect', 'symptom_report', 'dosing_question', 'missed_doses', 'booking_failed'] as const;

const CODE = /^[a-z][a-z0-9_]{0,63}$/;

/** Codes only reach the table: anything else a workflow put in an attribute becomes `other`. */
function code(value: string | undefined, fallback: string): string {
  if (value === undefined || value === '') return fallback;
  return CODE.test(value) ? value : 'other';
}

function isPriority(v: string | undefined): v is Priority {
  return v !== undefined && (PRIORITIES as readonly string[]).includes(v);
}

/** What the inbox reads of a patient.actions record. */
export interface ActionView {
  actionId: string;
  organizationId: string;
  patientId: string;
  type: string;
  occurredAt: number;
  causedBy: string | null;
  attributes: Readonly<Record<string, string>>;
}

/** A stable task id from the action id: a replayed action finds its task again. */
export function taskIdOf(actionId: string): string {
  return `task_${createHash('sha256').update(actionId).digest('base64url').slice(0, 22)}`;
}

/**
 * The task an action raises, or null for actions that are not escalations. A handoff is `high`
 * unless the action says otherwise; an escalation `normal`; the emergency's own `urgent` stays.
 */
export function taskFromAction(a: ActionView, sla: Sla): NewTask | null {
  if (a.type !== 'escalate' && a.type !== 'handoff') return null;
  const kind: TaskKind = a.type === 'handoff' ? 'handoff' : 'escalation';
  const asked = a.attributes['priority'];
  const priority: Priority = isPriority(asked) ? asked : kind === 'handoff' ? 'high' : 'normal';
  const category = a.attributes['category'];
  return {
    id: taskIdOf(a.actionId), organizationId: a.organizationId, patientId: a.patientId, kind, priority,
    reason: code(a.attributes['reason'], kind === 'handoff' ? 'patient_request' : 'escalation'),
    category: category === undefined || category === '' ? null : code(category, 'other'),
    channel: a.attributes['channel']?.toUpperCase() === 'SMS' ? 'SMS' : 'WEB',
    language: a.attributes['language'] === 'es' ? 'es' : 'en',
    sourceActionId: a.actionId, causedBy: a.causedBy, createdAt: a.occurredAt, dueAt: a.occurredAt + sla[priority],
  };
}

/** The built-in SLA with an organisation's overrides (ms per priority; unknown keys and bad values ignored). */
export function compileSla(defaults: Sla, overrides: unknown): Sla {
  const out: Record<Priority, number> = { ...defaults };
  if (overrides !== null && typeof overrides === 'object') {
    for (const p of PRIORITIES) {
      const v = (overrides as Record<string, unknown>)[p];
      if (typeof v === 'number' && Number.isInteger(v) && v > 0) out[p] = v;
    }
  }
  return Object.freeze(out);
}

/** A task is overdue while unresolved past its due time. */
export function isOverdue(t: Pick<Task, 'status' | 'dueAt'>, now: number): boolean {
  return t.status !== 'resolved' && t.dueAt < now;
}

const UNITS = {
  en: { minute: ['minute', 'minutes'], hour: ['hour', 'hours'], day: ['day', 'days'] },
  es: { minute: ['minuto', 'minutos'], hour: ['hora', 'horas'], day: ['día', 'días'] },
} as const;

/** "about 15 minutes", "about 2 hours", "aproximadamente 1 día": what the patient is told while waiting. */
export function roughly(ms: number, lang: 'en' | 'es'): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  const [n, unit] = minutes < 90 ? [minutes, 'minute' as const] : minutes < 36 * 60 ? [Math.round(minutes / 60), 'hour' as const] : [Math.round(minutes / 1440), 'day' as const];
  const word = UNITS[lang][unit][n === 1 ? 0 : 1];
  return `${lang === 'es' ? 'aproximadamente' : 'about'} ${n} ${word}`;
}

/** What the on-call contact receives: ids and codes, never the patient's name or words. */
export interface PageBody {
  type: 'careloop.care_task.urgent';
  deliveryId: string;
  sentAt: string;
  organizationId: string;
  taskId: string;
  patientId: string;
  priority: Priority;
  reason: string;
  category: string | null;
  createdAt: string;
  dueAt: string;
  attempt: number;
  contactId: string;
  /** Where the contact acknowledges (a care_team credential of the organisation). */
  ack: { method: 'POST'; path: string };
}

export function pageBody(t: Pick<Task, 'id' | 'organizationId' | 'patientId' | 'priority' | 'reason' | 'category' | 'createdAt' | 'dueAt'>, contact: OnCallContact, attempt: number, now: number): PageBody {
  return {
    type: 'careloop.care_task.urgent', deliveryId: `${t.id}:${attempt}`, sentAt: new Date(now).toISOString(),
    organizationId: t.organizationId, taskId: t.id, patientId: t.patientId, priority: t.priority, reason: t.reason, category: t.category,
    createdAt: new Date(t.createdAt).toISOString(), dueAt: new Date(t.dueAt).toISOString(), attempt, contactId: contact.id,
    ack: { method: 'POST', path: `/v1/organizations/${t.organizationId}/tasks/${t.id}/ack` },
  };
}

/** The `X-Careloop-Signature` header: HMAC-SHA256 of the exact body bytes, hex. */
export function signature(body: string, secret: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** A page's state as the pager reads it. */
export interface PageState { contactIndex: number; attempts: number }

/** What to do with a due page: page a contact and wait until `nextAt` (null: that was the last). */
export type PageStep =
  | { kind: 'send'; contact: OnCallContact; attempt: number; nextIndex: number }
  | { kind: 'exhausted' };

export function nextPage(page: PageState, settings: Pick<InboxSettings, 'contacts'>): PageStep {
  const contact = settings.contacts[page.contactIndex];
  if (contact === undefined) return { kind: 'exhausted' };
  return { kind: 'send', contact, attempt: page.attempts + 1, nextIndex: page.contactIndex + 1 };
}

/**
 * When the next contact is paged after one was: after the acknowledgement window when the webhook
 * was taken (2xx), at once when it failed (a dead endpoint must not delay an emergency), and never
 * after the last contact's window closes (the page is then exhausted).
 */
export function nextPageAt(delivered: boolean, now: number, settings: Pick<InboxSettings, 'ackTimeoutMs'>): number {
  return delivered ? now + settings.ackTimeoutMs : now;
}
