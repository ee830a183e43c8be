import type { ConversationState } from '../../platform/stores/conversation-store.js';
import type { Medication } from '../../platform/stores/patient-directory.js';
import type { WorkflowState } from '../../platform/workflow/runtime-types.js';
import type { RewardSpec } from '../../platform/personalisation/rewards.js';

export type Language = 'en' | 'es';

/** An understood patient message, with its text opened: the safety layer and the workflows read it. */
export interface MessageEvent {
  kind: 'message';
  messageId: string;
  clientMessageId: string | null;
  organizationId: string;
  patientId: string;
  channel: 'WEB' | 'SMS';
  intent: string;
  confidence: number;
  language: Language;
  text: string;
  entities: Array<{ type: string; value: string; text: string }>;
  receivedAt: number;
}

/** A patient signal (a refill due, a workflow timer firing…): it starts or resumes workflows. */
export interface SignalEvent {
  kind: 'signal';
  signalId: string;
  organizationId: string;
  patientId: string;
  type: string;
  attributes: Record<string, string>;
  /** The patient's language, as the directory knows it (signals carry no text to detect it from). */
  language: Language;
  occurredAt: number;
}

/** What one turn reacts to: messages and signals take the same path. */
export type TurnEvent = MessageEvent | SignalEvent;

/** What a conversation keeps per published workflow; serialised (and sealed) only by the conversation store. */
export interface ProgramSlots {
  wf: Record<string, WorkflowState>;
}

/** Conversation state of one patient as the turn sees it: slots typed, not a JSON string. */
export type Conversation = Omit<ConversationState, 'slots'> & { slots: ProgramSlots };

/** Who to send a patient to, per organisation: the safety replies and the dosing answer name them. */
export interface SafetyContacts {
  emergencyNumber: string;
  /** Crisis line for suicidal thoughts and self-harm (988 in the US). */
  crisisNumber: string;
  poisonControlNumber: string;
  /** The pharmacist or care team's contact for medication questions ('' when the organisation gave none). */
  careTeamContact: string;
}

export interface DialogueContext extends SafetyContacts {
  organizationName: string;
  languages: readonly string[];
  medications: readonly Medication[];
  /** The organisation's own text for when a workflow fails, per language; the built-in one otherwise. */
  fallbackText: Partial<Record<Language, string>>;
  /** The patient's IANA time zone (else the organisation's, else UTC). */
  timeZone: string;
  /** Dose adherence over 30 days (0…1; null: no closed dose), loaded for signal turns only. */
  adherence30d?: { overall: number | null; byMedication: Readonly<Record<string, number | null>> };
}

export interface Reply {
  templateId: string;
  kind: 'REPLY' | 'SAFETY' | 'SYSTEM';
  text: string;
  quickReplies: string[];
  /** Which of the text's variants was said (personalisation learns from it). */
  variantId?: string;
  /** A text with several wordings: the variant bandit picks among them (variant-choice.ts). */
  choice?: { message: string; variants: string[]; reward: RewardSpec };
  /** The probability with which the bandit picked this variant (logged for off-policy estimates). */
  propensity?: number;
}

export interface Action {
  /** record_adherence, set_reminder, escalate, handoff, opt_out, opt_in, custom, or a workflow's action. */
  type: string;
  attributes: Record<string, string>;
}

export interface ArmedTimer {
  workflowId: string;
  timerId: string;
  at: number;
}

/** Something that went wrong in a turn and must be seen: logged with its location and counted. */
export interface Problem {
  code: 'WF_RUNTIME' | 'DOSING_ADVICE_BLOCKED';
  message: string;
  workflowId: string | null;
  workflowVersion: number | null;
  step: string | null;
  /** The workflow source line of the step, when known. */
  line: number | null;
}

/** Everything a turn produces, as one tagged list: nothing a turn decides can fall off on the way out. */
export type Outcome =
  | { kind: 'reply'; reply: Reply; origin?: Answerer }
  | { kind: 'action'; action: Action }
  | { kind: 'timer'; timer: ArmedTimer }
  | { kind: 'problem'; problem: Problem };

/** The workflow that answered (for the records' workflowId/version), when one did. */
export interface Answerer { workflowId: string; workflowVersion: number }

/** A built-in conversation (the default workflow): what answers when no published workflow does. */
export interface BuiltInWorkflow {
  readonly workflowId: string;
  readonly version: number;
  decide(event: MessageEvent, ctx: DialogueContext): { replies: Reply[]; actions: Action[] };
}

export function initialConversation(organizationId: string, optedOut = false): Conversation {
  return { organizationId, workflowId: 'default', workflowVersion: 1, step: 'start', optedOut, recent: [], turn: 0, slots: { wf: {} } };
}
