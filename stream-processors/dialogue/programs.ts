import type { CompiledWorkflow } from '../../platform/workflow/compiled.js';
import { runWorkflow } from '../../platform/workflow/interpreter.js';
import type { WorkflowContext, WorkflowEvent, WorkflowOutcome, WorkflowReply, WorkflowState } from '../../platform/workflow/runtime-types.js';
import { DEFAULT_REWARD, messageKey } from '../../platform/personalisation/rewards.js';
import { listMedications, render } from './templates.js';
import type { Answerer, DialogueContext, Language, Outcome, ProgramSlots, Reply } from './types.js';

/** A published workflow of the organisation, as this instance knows it. */
export interface ActiveWorkflow {
  workflowId: string;
  version: number;
  compiled: CompiledWorkflow;
  publishedAt: number;
}

/** The organisation's published workflows, with the older versions its conversations in flight still run. */
export interface Programs {
  active: readonly ActiveWorkflow[];
  pinned: ReadonlyMap<string, CompiledWorkflow>;
}

/** Reads stored slots; anything unreadable is an empty conversation (never a crash of the turn). */
export function parseSlots(json: string): ProgramSlots {
  try {
    const v = JSON.parse(json) as Partial<ProgramSlots>;
    return { wf: v.wf !== undefined && v.wf !== null && typeof v.wf === 'object' ? v.wf : {} };
  } catch {
    return { wf: {} };
  }
}

/** In flight: a question or a wait pending. Such a conversation stays on the version it started. */
export function inFlight(s: WorkflowState | undefined): boolean {
  return s !== undefined && (s.question !== null || s.sleepers.length > 0);
}

/** The versions a conversation needs: in-flight ones pinned, the rest the active version. */
export function pinnedVersions(slots: ProgramSlots, active: readonly ActiveWorkflow[]): Array<{ workflowId: string; version: number }> {
  return Object.entries(slots.wf)
    .filter(([id, s]) => inFlight(s) && active.find((a) => a.workflowId === id)?.version !== s.version)
    .map(([workflowId, s]) => ({ workflowId, version: s.version }));
}

/** Who hears a message first: the workflow waiting for an answer, then the rest by id, `default` last. */
function order(programs: Programs, slots: ProgramSlots): Array<{ id: string; wf: CompiledWorkflow }> {
  const waiting = Object.entries(slots.wf).filter(([, s]) => s.question !== null).map(([id]) => id);
  const compiledOf = (id: string): CompiledWorkflow | undefined => programs.pinned.get(id) ?? programs.active.find((a) => a.workflowId === id)?.compiled;
  const rest = [...programs.active].sort((a, b) => Number(a.workflowId === 'default') - Number(b.workflowId === 'default') || a.workflowId.localeCompare(b.workflowId));
  const ids = [...waiting, ...rest.map((a) => a.workflowId).filter((id) => !waiting.includes(id))];
  return ids.flatMap((id) => { const wf = compiledOf(id); return wf === undefined ? [] : [{ id, wf }]; });
}

/** adherence_30d of the medication a signal names (the first of a grouped reminder), else over all medications. */
function profileOf(ctx: DialogueContext, medicationId: string | undefined): WorkflowContext['profile'] {
  const a = ctx.adherence30d;
  if (a === undefined) return {};
  const mine = medicationId === undefined ? undefined : a.byMedication[medicationId.split(',')[0] ?? ''];
  const rate = mine ?? a.overall;
  return rate === null ? {} : { adherence_30d: rate };
}

/**
 * The workflow context of one turn: the patient's language, zone and profile, the organisation's
 * variables; a reminder's per-medication adherence_30d (from its doses) wins over the profile's.
 */
export function workflowContext(language: Language, now: number, ctx: DialogueContext, profile: WorkflowContext['profile'] = {}, medicationId?: string): WorkflowContext {
  return {
    now, language, timeZone: ctx.timeZone, profile: { ...profile, ...profileOf(ctx, medicationId) },
    variables: {
      org: ctx.organizationName, emergency: ctx.emergencyNumber, crisis: ctx.crisisNumber, poison_control: ctx.poisonControlNumber, care_team: ctx.careTeamContact,
      medications: listMedications(ctx.medications.map((m) => (m.dose ? `${m.name} ${m.dose}` : m.name)), language),
    },
  };
}

/** A program's answer: what it produced (attributed to it) and where the conversation stands. */
export interface ProgramRun { outcomes: Outcome[]; slots: ProgramSlots; answeredBy: Answerer | null; waiting: boolean }

/** A reply with several wordings carries them, its bandit key and its reward, for the turn to pick. */
function choiceOf(id: string, r: WorkflowReply, language: string): Pick<Reply, 'choice'> {
  if (r.variants.length < 2 || r.textId === undefined) return {};
  return { choice: { message: messageKey(id, r.textId, language), variants: r.variants, reward: r.reward ?? DEFAULT_REWARD } };
}

function outcomesOf(id: string, wf: CompiledWorkflow, out: WorkflowOutcome, language: string): Outcome[] {
  const origin = { workflowId: id, workflowVersion: wf.version };
  return [
    ...out.replies.map((r): Outcome => ({
      kind: 'reply', origin,
      reply: { templateId: r.templateId ?? `${id}:inline`, kind: 'REPLY', text: r.text, quickReplies: r.quickReplies, variantId: String(r.variantIndex), ...choiceOf(id, r, language) },
    })),
    ...out.actions.map((a): Outcome => ({ kind: 'action', action: { type: a.type, attributes: a.attributes } })),
    ...out.timers.map((t): Outcome => ({ kind: 'timer', timer: { workflowId: id, timerId: t.id, at: t.at } })),
  ];
}

/** A workflow's run-time failure as a problem, located at its step and source line. */
function problemOf(id: string, wf: CompiledWorkflow, error: NonNullable<WorkflowOutcome['error']>): Outcome {
  const line = error.step === null ? null : wf.steps[error.step]?.line ?? null;
  return { kind: 'problem', problem: { code: error.code, message: error.message, workflowId: id, workflowVersion: wf.version, step: error.step, line } };
}

/** The organisation's own words for "something went wrong", else the built-in ones. */
export function fallbackReply(language: Language, ctx: DialogueContext): Reply {
  const own = ctx.fallbackText[language] ?? ctx.fallbackText.en;
  const text = own !== undefined && own.trim() !== '' ? own : render('workflow_problem', language, { org: ctx.organizationName });
  return { templateId: 'workflow_problem', kind: 'SYSTEM', text, quickReplies: [] };
}

function store(slots: ProgramSlots, id: string, state: WorkflowState | null): void {
  if (state === null) delete slots.wf[id];
  else slots.wf[id] = state;
}

/**
 * A message goes to the workflow waiting for its answer (on the version it started), else to the
 * first whose trigger matches. A workflow that fails is reported and answered with the fallback text;
 * its conversation is dropped so the patient is not stuck on a broken question. Null: none handled it.
 */
export function runMessage(programs: Programs, slots: ProgramSlots, event: Extract<WorkflowEvent, { kind: 'message' }>, wctx: WorkflowContext, ctx: DialogueContext): ProgramRun | null {
  const next: ProgramSlots = { wf: { ...slots.wf } };
  for (const { id, wf } of order(programs, next)) {
    const out = runWorkflow(wf, event, next.wf[id] ?? null, wctx);
    const answeredBy = { workflowId: id, workflowVersion: wf.version };
    if (out.error !== undefined) {
      store(next, id, null);
      return { outcomes: [problemOf(id, wf, out.error), { kind: 'reply', origin: answeredBy, reply: fallbackReply(event.language, ctx) }], slots: next, answeredBy, waiting: false };
    }
    if (!out.handled) continue;
    store(next, id, out.state);
    return { outcomes: outcomesOf(id, wf, out, wctx.language), slots: next, answeredBy, waiting: !out.ended };
  }
  return null;
}

/**
 * A signal runs every published workflow with a trigger for it (a timer only the one that armed it),
 * each on its own state. Failures are reported; the others still run.
 */
export function runSignal(programs: Programs, slots: ProgramSlots, signal: { type: string; attributes: Record<string, string> }, wctx: WorkflowContext): ProgramRun {
  const next: ProgramSlots = { wf: { ...slots.wf } };
  const timer = signal.type === 'timer' ? { workflowId: signal.attributes['workflow_id'] ?? '', timerId: signal.attributes['timer_id'] ?? '' } : null;
  const event: WorkflowEvent = timer === null ? { kind: 'signal', type: signal.type, attributes: signal.attributes } : { kind: 'timer', timerId: timer.timerId };
  const run: ProgramRun = { outcomes: [], slots: next, answeredBy: null, waiting: false };
  // A campaign's start goes to the campaign's programme only, like a timer to the workflow that armed it.
  const only = timer?.workflowId ?? (signal.type === 'campaign_start' ? signal.attributes['workflow_id'] ?? '' : null);
  for (const { id, wf } of order(programs, { wf: {} }).filter((c) => only === null || c.id === only)) {
    const out = runWorkflow(wf, event, next.wf[id] ?? null, wctx);
    if (out.error !== undefined) { run.outcomes.push(problemOf(id, wf, out.error)); continue; }
    if (!out.handled) continue;
    store(next, id, out.state);
    run.outcomes.push(...outcomesOf(id, wf, out, wctx.language));
    run.answeredBy ??= { workflowId: id, workflowVersion: wf.version };
  }
  return run;
}
