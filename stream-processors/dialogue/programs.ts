import type { CompiledWorkflow } from '../../platform/workflow/compiled.js';
import { runWorkflow } from '../../platform/workflow/interpreter.js';
import type { WorkflowContext, WorkflowState } from '../../platform/workflow/runtime-types.js';
import { listMedications } from './templates.js';
import type { ArmedTimer, DialogueContext, DialogueInput, DialogueState, Reply, WorkflowRuntime } from './types.js';

/** A published workflow of the organisation, as this instance knows it. */
export interface ActiveWorkflow {
  workflowId: string;
  version: number;
  compiled: CompiledWorkflow;
  publishedAt: number;
}

/** What a conversation keeps per workflow, inside the conversation's slots (JSON). */
export interface ProgramSlots {
  wf: Record<string, WorkflowState>;
}

export function parseSlots(json: string): ProgramSlots {
  try {
    const v = JSON.parse(json) as Partial<ProgramSlots>;
    return { wf: v.wf !== undefined && typeof v.wf === 'object' ? v.wf : {} };
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

function order(active: readonly ActiveWorkflow[], slots: ProgramSlots, pinned: ReadonlyMap<string, CompiledWorkflow>): Array<{ id: string; wf: CompiledWorkflow }> {
  const waiting = Object.entries(slots.wf).filter(([, s]) => s.question !== null).map(([id]) => id);
  const compiledOf = (id: string): CompiledWorkflow | undefined => pinned.get(id) ?? active.find((a) => a.workflowId === id)?.compiled;
  const rest = [...active].sort((a, b) => Number(a.workflowId === 'default') - Number(b.workflowId === 'default') || a.workflowId.localeCompare(b.workflowId));
  const ids = [...waiting, ...rest.map((a) => a.workflowId).filter((id) => !waiting.includes(id))];
  return ids.flatMap((id) => { const wf = compiledOf(id); return wf === undefined ? [] : [{ id, wf }]; });
}

function context(input: DialogueInput, ctx: DialogueContext): WorkflowContext {
  return {
    now: input.receivedAt,
    language: input.language,
    timeZone: ctx.timeZone,
    profile: {},
    variables: {
      org: ctx.organizationName,
      emergency: ctx.emergencyNumber,
      medications: listMedications(ctx.medications.map((m) => (m.dose ? `${m.name} ${m.dose}` : m.name)), input.language),
    },
  };
}

/**
 * The organisation's published workflows as one runtime: a pending question goes to the workflow
 * that asked it (on the version it started with); otherwise the first workflow whose trigger matches
 * handles the message; when none does, the built-in default answers.
 */
export function programRuntime(active: readonly ActiveWorkflow[], pinned: ReadonlyMap<string, CompiledWorkflow>, text: string, fallback: WorkflowRuntime): WorkflowRuntime {
  return {
    workflowId: 'programs',
    version: 0,
    decide(input: DialogueInput, state: DialogueState, ctx: DialogueContext) {
      const slots = parseSlots(state.slots);
      const event = { kind: 'message' as const, intent: input.intent, text, language: input.language, entities: input.entities };
      for (const { id, wf } of order(active, slots, pinned)) {
        const out = runWorkflow(wf, event, slots.wf[id] ?? null, context(input, ctx));
        if (!out.handled) continue;
        if (out.state === null) delete slots.wf[id];
        else slots.wf[id] = out.state;
        const replies: Reply[] = out.replies.map((r) => ({ templateId: r.templateId ?? `${id}:inline`, kind: 'REPLY', text: r.text, quickReplies: r.quickReplies, variantId: String(r.variantIndex) }));
        return {
          replies, actions: out.actions.map((a) => ({ type: a.type, attributes: a.attributes })), step: out.ended ? 'start' : `${id}:waiting`,
          slots: JSON.stringify(slots), workflowId: id, workflowVersion: wf.version, timers: out.timers.map((t) => ({ workflowId: id, timerId: t.id, at: t.at })),
        };
      }
      return { ...fallback.decide(input, state, ctx), slots: JSON.stringify(slots) };
    },
  };
}

export interface SignalOutcome {
  timers: ArmedTimer[];
  replies: Reply[];
  actions: Array<{ type: string; attributes: Record<string, string> }>;
  slots: string;
  workflowId: string | null;
  workflowVersion: number | null;
}

/**
 * A patient signal (a refill became due, an appointment was booked…) runs every published workflow
 * with a trigger for it; each keeps its own state. Returns null when no workflow handles it.
 */
export function runSignal(
  active: readonly ActiveWorkflow[], pinned: ReadonlyMap<string, CompiledWorkflow>, slotsJson: string,
  signal: { type: string; attributes: Record<string, string> }, language: DialogueInput['language'], now: number, ctx: DialogueContext,
): SignalOutcome | null {
  const slots = parseSlots(slotsJson);
  const outcome: SignalOutcome = { replies: [], actions: [], timers: [], slots: slotsJson, workflowId: null, workflowVersion: null };
  const wctx = context({ receivedAt: now, language } as DialogueInput, ctx);
  // A timer goes back to the workflow that armed it, on the version the conversation runs.
  const timer = signal.type === 'timer' ? { workflowId: signal.attributes['workflow_id'] ?? '', timerId: signal.attributes['timer_id'] ?? '' } : null;
  const candidates = order(active, { wf: {} }, pinned).filter((c) => timer === null || c.id === timer.workflowId);
  for (const { id, wf } of candidates) {
    const event = timer === null ? { kind: 'signal' as const, type: signal.type, attributes: signal.attributes } : { kind: 'timer' as const, timerId: timer.timerId };
    const out = runWorkflow(wf, event, slots.wf[id] ?? null, wctx);
    if (!out.handled) continue;
    if (out.state === null) delete slots.wf[id];
    else slots.wf[id] = out.state;
    outcome.replies.push(...out.replies.map((r): Reply => ({ templateId: r.templateId ?? `${id}:inline`, kind: 'REPLY', text: r.text, quickReplies: r.quickReplies, variantId: String(r.variantIndex) })));
    outcome.actions.push(...out.actions);
    outcome.timers.push(...out.timers.map((t) => ({ workflowId: id, timerId: t.id, at: t.at })));
    outcome.workflowId ??= id;
    outcome.workflowVersion ??= wf.version;
  }
  if (outcome.workflowId === null) return null;
  return { ...outcome, slots: JSON.stringify(slots) };
}
