import type { WorkflowProfile } from '../../platform/profiles/workflow-fields.js';
import { runMessage, runSignal, workflowContext, type Programs } from './programs.js';
import { guardDosing, safetyLayer, type SafetyKit } from './safety-layer.js';
import { chooseVariants, type VariantInputs } from './variant-choice.js';
import { listMedications } from './templates.js';
import { initialConversation, type Answerer, type BuiltInWorkflow, type Conversation, type DialogueContext, type Language, type MessageEvent, type Outcome, type SignalEvent, type TurnEvent } from './types.js';

/** How many handled message and signal ids a conversation remembers to recognise replays. */
const RECENT = 64;

/** Everything a turn needs, loaded before it runs; the turn itself reads nothing else. */
export interface TurnInputs {
  /** The stored conversation, or null for a patient's first turn. */
  conversation: Conversation | null;
  /** The patient is opted out in the system of record (STOP on another channel, the API). */
  optedOutOnRecord: boolean;
  /** Only active patients get proactive messages. */
  patientActive: boolean;
  ctx: DialogueContext;
  /** The patient's behavioural profile as workflow fields (segment, risk…), read through the profile store. */
  profile: WorkflowProfile;
  programs: Programs;
  builtIn: BuiltInWorkflow;
  safety: SafetyKit;
  /** A person of the care team holds this conversation (platform/stores/conversation-holds.ts): the bot stays quiet but for safety. */
  held: { dueAt: number } | null;
  /** The variant bandit's state for the patient's segment; absent: variants by the workflow's stable hash. */
  variants?: VariantInputs;
}

export interface TurnResult {
  /** The event was handled before (a replay after a crash): nothing to produce, nothing to save. */
  duplicate: boolean;
  outcomes: Outcome[];
  next: Conversation;
  /** The workflow that answered, for the records' workflow id and version; null when none did. */
  answeredBy: Answerer | null;
}

function eventId(e: TurnEvent): string {
  return e.kind === 'message' ? e.messageId : e.signalId;
}

function remembered(conv: Conversation, id: string): Conversation {
  return { ...conv, recent: [...conv.recent, id].slice(-RECENT), turn: conv.turn + 1 };
}

function messageTurn(event: MessageEvent, conv: Conversation, inputs: TurnInputs): Omit<TurnResult, 'duplicate'> {
  const { ctx, safety } = inputs;
  const safe = safetyLayer(event, conv, ctx, safety);
  if (safe !== null) return { outcomes: safe.outcomes, next: { ...conv, optedOut: safe.optedOut }, answeredBy: null };
  // The care team answers this patient now; the patient was told so when the hold began.
  if (inputs.held !== null) return { outcomes: [], next: conv, answeredBy: null };
  const run = runMessage(inputs.programs, conv.slots, { kind: 'message', intent: event.intent, text: event.text, language: event.language, entities: withMedicationIds(event.entities, ctx) }, workflowContext(event.language, event.receivedAt, ctx, inputs.profile), ctx);
  if (run !== null) {
    const step = run.waiting && run.answeredBy !== null ? `${run.answeredBy.workflowId}:waiting` : 'start';
    const next = { ...conv, slots: run.slots, step, ...(run.answeredBy === null ? {} : run.answeredBy) };
    return { outcomes: guardDosing(chooseVariants(run.outcomes, inputs.variants, event.messageId), event, event.language, ctx, safety), next, answeredBy: run.answeredBy };
  }
  const builtIn = inputs.builtIn.decide(event, ctx);
  const answeredBy = { workflowId: inputs.builtIn.workflowId, workflowVersion: inputs.builtIn.version };
  const outcomes: Outcome[] = [
    ...builtIn.replies.map((reply): Outcome => ({ kind: 'reply', reply, origin: answeredBy })),
    ...builtIn.actions.map((action): Outcome => ({ kind: 'action', action })),
  ];
  return { outcomes: guardDosing(outcomes, event, event.language, ctx, safety), next: { ...conv, step: 'start', ...answeredBy }, answeredBy };
}

/**
 * A medication the message named, also as its care-plan id (`said_medication_id`): workflows put the
 * id, never the name, on the actions they emit.
 */
export function withMedicationIds<E extends { type: string; value: string }>(entities: readonly E[], ctx: DialogueContext): E[] {
  const said = entities.find((e) => e.type === 'medication');
  if (said === undefined || entities.some((e) => e.type === 'medication_id')) return [...entities];
  const wanted = said.value.toLowerCase();
  const med = ctx.medications.find((m) => m.name.toLowerCase() === wanted || `${m.name} ${m.dose}`.toLowerCase() === wanted);
  return med === undefined ? [...entities] : [...entities, { ...said, type: 'medication_id', value: med.id }];
}

/**
 * Signals name a medication by its care-plan id only (names are clinical content and never travel in
 * plain records); the workflow's `medication` is filled in here from the patient's care plan.
 */
export function withMedicationName(attributes: Record<string, string>, ctx: DialogueContext, language: Language = 'en'): Record<string, string> {
  const id = attributes['medication_id'];
  if (id === undefined || attributes['medication'] !== undefined) return attributes;
  // A grouped reminder names several ids ("rx1,rx2"): "time for your metformin and lisinopril".
  const meds = id.split(',').flatMap((one) => ctx.medications.filter((m) => m.id === one));
  if (meds.length === 0) return attributes;
  return { ...attributes, medication: listMedications(meds.map((m) => (m.dose === '' ? m.name : `${m.name} ${m.dose}`)), language) };
}

function signalTurn(event: SignalEvent, conv: Conversation, inputs: TurnInputs): Omit<TurnResult, 'duplicate'> {
  // Proactive messages never go to a patient who opted out or is no longer active.
  if (conv.optedOut || !inputs.patientActive) return { outcomes: [], next: conv, answeredBy: null };
  // Nothing proactive interrupts a person of the care team talking with the patient.
  if (inputs.held !== null) return { outcomes: [], next: conv, answeredBy: null };
  const signal = { type: event.type, attributes: withMedicationName(event.attributes, inputs.ctx, event.language) };
  const run = runSignal(inputs.programs, conv.slots, signal, workflowContext(event.language, event.occurredAt, inputs.ctx, inputs.profile, event.attributes['medication_id']));
  const outcomes = chooseVariants(run.outcomes, inputs.variants, event.signalId);
  return { outcomes: guardDosing(outcomes, null, event.language, inputs.ctx, inputs.safety), next: { ...conv, slots: run.slots }, answeredBy: run.answeredBy };
}

/**
 * One turn of the dialogue, as a pure decision: the safety layer, then the organisation's published
 * workflows, then the built-in default, and a last guard on every reply. Messages and signals take
 * the same path; replays are recognised by id and produce nothing.
 */
export function turn(event: TurnEvent, inputs: TurnInputs): TurnResult {
  const conv = inputs.conversation ?? initialConversation(event.organizationId, inputs.optedOutOnRecord);
  const id = eventId(event);
  if (conv.recent.includes(id)) return { duplicate: true, outcomes: [], next: conv, answeredBy: null };
  const base = remembered(conv, id);
  const result = event.kind === 'message' ? messageTurn(event, base, inputs) : signalTurn(event, base, inputs);
  return { duplicate: false, ...result };
}

/** The outcomes of one kind, typed: `of(outcomes, 'reply')` → the replies. */
export function of<K extends Outcome['kind']>(outcomes: readonly Outcome[], kind: K): Array<Extract<Outcome, { kind: K }>> {
  return outcomes.filter((o): o is Extract<Outcome, { kind: K }> => o.kind === kind);
}
