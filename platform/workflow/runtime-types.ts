import type { CompiledWorkflow, CReward } from './compiled.js';
import type { Value } from './functions.js';

export type WorkflowLanguage = 'en' | 'es';

export type WorkflowEvent =
  | { kind: 'message'; intent: string; text: string; language: WorkflowLanguage; entities: Array<{ type: string; value: string; text: string }> }
  | { kind: 'signal'; type: string; attributes: Record<string, string> }
  | { kind: 'timer'; timerId: string };

export interface WorkflowContext {
  now: number;
  language: WorkflowLanguage;
  /** The patient's IANA time zone (else the organisation's): times of day, dates and schedules are read in it. UTC when absent. */
  timeZone?: string;
  profile: Record<string, string | number | boolean | null>;
  /** Organisation and patient variables: org, emergency, medications, pharmacy … */
  variables: Record<string, string>;
  /** Published workflows `call` may run, by name. */
  subworkflows?: Record<string, CompiledWorkflow>;
}

export const STATE_FORMAT = 'careloop-workflow-state/1';

/** Where a run stands: `wf` '' is the workflow itself, else the name of a called sub-workflow. */
export interface Frame { wf: string; step: string | null }

export interface WorkflowState {
  format: typeof STATE_FORMAT;
  workflow: string;
  version: number;
  /** Answers, signal attributes and `set` values; shared by the workflow and what it calls. */
  slots: Record<string, Value>;
  /** The question waiting for the patient's answer (its ask step is the top frame's step). */
  question: { stack: Frame[]; retries: number; timerId: string | null } | null;
  /** Runs paused by `wait`, resumed by their timer. */
  sleepers: Array<{ timerId: string; at: number; stack: Frame[] }>;
  /** Schedule trigger id → the occurrence armed, and whether it has fired. */
  schedules: Record<string, { at: number; fired: boolean }>;
  /** Counter for timer ids and variant choice: keeps both deterministic. */
  seq: number;
}

export interface WorkflowReply {
  templateId: string | null; text: string; variants: string[]; variantIndex: number; quickReplies: string[];
  /** The text's id in its workflow (inline texts too): with the workflow, the variant bandit's message key. */
  textId?: string;
  /** What the variant bandit counts as success for this text (`say … reward`); absent: replied within 4 hours. */
  reward?: CReward;
}
export interface WorkflowAction { type: string; attributes: Record<string, string> }

export interface WorkflowOutcome {
  replies: WorkflowReply[];
  actions: WorkflowAction[];
  /** Timers to arm; a timer the state no longer expects is ignored when it fires. */
  timers: Array<{ id: string; at: number }>;
  /** null: the conversation ended with nothing left to remember (no slot, question, wait or schedule). */
  state: WorkflowState | null;
  /** false: no trigger matched and no question was pending (the host falls back), or a runtime error. */
  handled: boolean;
  /** true when no question is pending after this event. */
  ended: boolean;
  error?: { code: 'WF_RUNTIME'; message: string; step: string | null };
}
