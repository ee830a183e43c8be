import type { ConversationState } from '../../platform/stores/conversation-store.js';
import type { Medication } from '../../platform/stores/patient-directory.js';

export type Language = 'en' | 'es';

/** What the dialogue reacts to: an understood patient message (signals join with the workflow issue). */
export interface DialogueInput {
  messageId: string;
  clientMessageId: string | null;
  organizationId: string;
  patientId: string;
  channel: 'WEB' | 'SMS';
  intent: string;
  confidence: number;
  language: Language;
  entities: Array<{ type: string; value: string; text: string }>;
  receivedAt: number;
}

/** Conversation state of one patient; lives in Redis, never in process memory. */
export type DialogueState = ConversationState;

export interface DialogueContext {
  organizationName: string;
  emergencyNumber: string;
  languages: readonly string[];
  medications: readonly Medication[];
  now: number;
  /** The patient's IANA time zone (else the organisation's, else UTC). */
  timeZone: string;
}

export interface Reply {
  templateId: string;
  kind: 'REPLY' | 'SAFETY' | 'SYSTEM';
  text: string;
  quickReplies: string[];
  /** Which of the text's variants was said (personalisation learns from it). */
  variantId?: string;
}

export interface Action {
  /** record_adherence, set_reminder, escalate, handoff, opt_out, opt_in, custom, or a workflow's action. */
  type: string;
  attributes: Record<string, string>;
}

export interface Decision {
  replies: Reply[];
  actions: Action[];
  nextState: DialogueState;
  timers?: ArmedTimer[];
}

/**
 * The narrow interface between the dialogue processor and a workflow: the built-in default
 * workflow implements it today; the workflow language's runtime implements it next.
 */
export interface WorkflowRuntime {
  readonly workflowId: string;
  readonly version: number;
  decide(input: DialogueInput, state: DialogueState, ctx: DialogueContext): RuntimeOutcome;
}

export interface RuntimeOutcome {
  replies: Reply[];
  actions: Action[];
  step: string;
  /** The conversation's slots after this turn (JSON); unchanged when absent. */
  slots?: string;
  /** The workflow (and version) that answered, when it was not the runtime itself. */
  workflowId?: string;
  workflowVersion?: number;
  /** Timers the workflow armed (waits, question timeouts, schedules), fired later by the scheduler. */
  timers?: ArmedTimer[];
}

export interface ArmedTimer {
  workflowId: string;
  timerId: string;
  at: number;
}

export function initialState(organizationId: string, runtime: Pick<WorkflowRuntime, 'workflowId' | 'version'>, optedOut = false): DialogueState {
  return { organizationId, workflowId: runtime.workflowId, workflowVersion: runtime.version, step: 'start', optedOut, recent: [], turn: 0, slots: '{}' };
}
