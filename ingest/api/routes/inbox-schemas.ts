import { Type } from '@sinclair/typebox';
import { OUTCOMES, PRIORITIES, TASK_STATUSES, type Task } from '../../../platform/inbox/types.js';
import { Id } from './common.js';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

export const TaskParams = Type.Object({ organizationId: Id, taskId: Id }, { additionalProperties: false });

export const TaskQuery = Type.Object({
  status: Type.Optional(Type.Union([literals(TASK_STATUSES), Type.Literal('unresolved')], { description: 'open, claimed, resolved, or unresolved (open and claimed)' })),
  priority: Type.Optional(literals(PRIORITIES)),
  kind: Type.Optional(Type.Union([Type.Literal('escalation'), Type.Literal('handoff')])),
  patientId: Type.Optional(Id),
  overdue: Type.Optional(Type.Boolean({ description: 'only unresolved tasks past their due time' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  after: Type.Optional(Type.String({ ...Id, description: 'the `next` of the previous page' })),
}, { additionalProperties: false });

const Time = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

export const TaskView = Type.Object({
  id: Type.String(), patientId: Type.String({ description: 'pseudonymous' }), kind: Type.String(), priority: literals(PRIORITIES),
  reason: Type.String({ description: 'a code: emergency, patient_request, side_effect, symptom_report, dosing_question, missed_doses, booking_failed, …' }),
  category: Type.Union([Type.String(), Type.Null()], { description: 'the emergency category, when one' }),
  status: literals(TASK_STATUSES), channel: Type.String(), language: Type.String(), overdue: Type.Boolean(),
  createdAt: Type.String(), dueAt: Type.String(), claimedBy: Type.Union([Type.String(), Type.Null()]), claimedAt: Time,
  acknowledgedBy: Type.Union([Type.String(), Type.Null()]), acknowledgedAt: Time, replies: Type.Integer(), lastReplyAt: Time,
  resolvedBy: Type.Union([Type.String(), Type.Null()]), resolvedAt: Time, outcome: Type.Union([literals(OUTCOMES), Type.Null()]),
  hasMessage: Type.Boolean({ description: 'the patient\'s words are kept with the task (read one task to see them; audited)' }),
});

export const TaskDetail = Type.Intersect([TaskView, Type.Object({ message: Type.Union([Type.String(), Type.Null()], { description: 'what the patient wrote when the task was raised' }) })]);

export const ReplyBody = Type.Object({ text: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false });
export const ResolveBody = Type.Object({ outcome: literals(OUTCOMES) }, { additionalProperties: false });

const Ms = Type.Integer({ minimum: 1000, maximum: 30 * 86_400_000 });
export const SettingsBody = Type.Object({
  sla: Type.Object({ urgent: Type.Optional(Ms), high: Type.Optional(Ms), normal: Type.Optional(Ms), low: Type.Optional(Ms) }, { additionalProperties: false, description: 'ms per priority; absent ones use the built-in defaults' }),
  contacts: Type.Array(Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' }), url: Type.String({ format: 'uri', maxLength: 2000 }) }, { additionalProperties: false }), { maxItems: 20, description: 'on-call contacts, in paging order' }),
  webhookSecretRef: Type.String({ maxLength: 300, description: 'env:NAME or file:/path of the HMAC-SHA256 secret (never the secret itself)' }),
  ackTimeoutMs: Type.Union([Ms, Type.Null()], { description: 'null: the built-in inbox.ackTimeout' }),
}, { additionalProperties: false });

export const SettingsView = Type.Object({
  sla: Type.Object({ urgent: Type.Integer(), high: Type.Integer(), normal: Type.Integer(), low: Type.Integer() }),
  contacts: Type.Array(Type.Object({ id: Type.String(), url: Type.String() })), webhookSecretRef: Type.String(), ackTimeoutMs: Type.Integer(),
});

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function taskView(t: Task, now: number) {
  return {
    id: t.id, patientId: t.patientId, kind: t.kind, priority: t.priority, reason: t.reason, category: t.category, status: t.status, channel: t.channel,
    language: t.language, overdue: t.status !== 'resolved' && t.dueAt < now, createdAt: new Date(t.createdAt).toISOString(), dueAt: new Date(t.dueAt).toISOString(),
    claimedBy: t.claimedBy, claimedAt: iso(t.claimedAt), acknowledgedBy: t.acknowledgedBy, acknowledgedAt: iso(t.acknowledgedAt), replies: t.replies,
    lastReplyAt: iso(t.lastReplyAt), resolvedBy: t.resolvedBy, resolvedAt: iso(t.resolvedAt), outcome: t.outcome, hasMessage: t.hasMessage,
  };
}
