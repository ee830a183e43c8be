/** The care-team inbox's vocabulary: one source for priorities, statuses and outcomes. */
export const PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const TASK_STATUSES = ['open', 'claimed', 'resolved'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** How a task ended: codes only, never free text (free text would be PHI in a plain column). */
export const OUTCOMES = ['resolved', 'referred', 'emergency_services', 'no_action_needed', 'patient_unreachable', 'duplicate'] as const;
export type TaskOutcome = (typeof OUTCOMES)[number];

/** A handoff holds the conversation (the patient asked for a person); an escalation does not until claimed. */
export type TaskKind = 'escalation' | 'handoff';

/** Due time per priority, in ms after the task is raised. */
export type Sla = Readonly<Record<Priority, number>>;

export interface OnCallContact { id: string; url: string }

/** An organisation's inbox settings, compiled: defaults applied, units converted. */
export interface InboxSettings {
  sla: Sla;
  contacts: readonly OnCallContact[];
  /** env:NAME or file:/path; '' when the organisation has none (pages cannot be signed: none are sent). */
  webhookSecretRef: string;
  ackTimeoutMs: number;
}

/** A task as it is created from an action; ids and codes only, the patient's words sealed. */
export interface NewTask {
  id: string;
  organizationId: string;
  patientId: string;
  kind: TaskKind;
  priority: Priority;
  reason: string;
  category: string | null;
  channel: 'WEB' | 'SMS';
  language: 'en' | 'es';
  sourceActionId: string;
  causedBy: string | null;
  createdAt: number;
  dueAt: number;
}

export interface Task extends NewTask {
  status: TaskStatus;
  claimedBy: string | null;
  claimedAt: number | null;
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
  replies: number;
  lastReplyAt: number | null;
  resolvedBy: string | null;
  resolvedAt: number | null;
  outcome: TaskOutcome | null;
  /** Whether the patient's own words are stored with it (sealed). */
  hasMessage: boolean;
}
