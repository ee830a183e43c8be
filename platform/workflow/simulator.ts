import type { CompiledWorkflow } from './compiled.js';
import { isTimeZone } from '../time/zones.js';
import { runWorkflow, type WorkflowContext, type WorkflowEvent, type WorkflowLanguage, type WorkflowOutcome, type WorkflowState } from './interpreter.js';

type Entities = Extract<WorkflowEvent, { kind: 'message' }>['entities'];

export interface Understood { intent: string; entities: Entities; language: WorkflowLanguage }

export interface SimulationOptions {
  /** The NLU: the real IntentModel in library tests, a keyword stub in unit tests. */
  understand(text: string, language: WorkflowLanguage, now: Date): Understood | Promise<Understood>;
  subworkflows?: Record<string, CompiledWorkflow>;
}

export type ScriptStep =
  | { patient: string }
  | { signal: string; attributes?: Record<string, string> }
  | { advance: string }
  | { expect: Expectation };

export interface Expectation {
  /** Substring of a reply of the last turn, or /regex/flags. */
  reply?: string;
  noReply?: boolean;
  action?: string;
  noAction?: string;
  ended?: boolean;
  handled?: boolean;
  slot?: Record<string, string | number | boolean | null>;
  quickReplies?: string[];
}

export interface Script {
  language: WorkflowLanguage;
  /** The patient's IANA time zone ('Europe/Madrid'); UTC when absent. */
  timeZone?: string;
  profile?: WorkflowContext['profile'];
  variables?: Record<string, string>;
  start: string;
  steps: ScriptStep[];
}

export interface TranscriptEntry { at: string; kind: 'patient' | 'bot' | 'action' | 'signal' | 'timer' | 'expectation'; text?: string; detail?: unknown; ok?: boolean }
export interface Transcript { entries: TranscriptEntry[]; passed: boolean; state: WorkflowState | null }

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "90m", "1d", "2h30m" → milliseconds. */
export function parseAdvance(text: string): number {
  let total = 0;
  const rest = text.replace(/(\d+(?:\.\d+)?)\s*(min|s|m|h|d|w)/g, (_, n: string, u: string) => { total += Number(n) * (UNIT_MS[u] ?? 0); return ''; });
  if (rest.trim() !== '' || total <= 0) throw new Error(`bad advance "${text}" (use e.g. 30m, 2h, 1d)`);
  return total;
}

function matches(pattern: string, text: string): boolean {
  const re = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
  return re === null ? text.includes(pattern) : new RegExp(re[1] ?? '', re[2]).test(text);
}

interface Turn { outcomes: WorkflowOutcome[] }

/** Every failed part of an expectation, checked against the last turn's outcomes. */
function failures(e: Expectation, turn: Turn, state: WorkflowState | null): string[] {
  const replies = turn.outcomes.flatMap((o) => o.replies);
  const actions = turn.outcomes.flatMap((o) => o.actions.map((a) => a.type));
  const last = turn.outcomes[turn.outcomes.length - 1];
  const out: string[] = [];
  if (e.reply !== undefined && !replies.some((r) => matches(e.reply ?? '', r.text))) out.push(`no reply matching ${e.reply}`);
  if (e.noReply === true && replies.length > 0) out.push(`unexpected reply "${replies[0]?.text ?? ''}"`);
  if (e.action !== undefined && !actions.includes(e.action)) out.push(`no action ${e.action} (got ${actions.join(', ') || 'none'})`);
  if (e.noAction !== undefined && actions.includes(e.noAction)) out.push(`unexpected action ${e.noAction}`);
  if (e.ended !== undefined && (last?.ended ?? true) !== e.ended) out.push(e.ended ? 'a question is still pending' : 'no question is pending');
  if (e.handled !== undefined && turn.outcomes.some((o) => o.handled) !== e.handled) out.push(`handled was not ${String(e.handled)}`);
  for (const [k, v] of Object.entries(e.slot ?? {})) {
    if ((state?.slots[k] ?? null) !== v) out.push(`slot ${k} is ${JSON.stringify(state?.slots[k] ?? null)}, expected ${JSON.stringify(v)}`);
  }
  if (e.quickReplies !== undefined && JSON.stringify(replies[replies.length - 1]?.quickReplies) !== JSON.stringify(e.quickReplies)) out.push('quick replies differ');
  return out;
}

/** Runs a script against a workflow with a simulated clock and timers; every turn lands in the transcript. */
export async function simulate(wf: CompiledWorkflow, script: Script, opts: SimulationOptions): Promise<Transcript> {
  let now = Date.parse(script.start);
  if (!Number.isFinite(now)) throw new Error(`bad start "${script.start}"`);
  if (script.timeZone !== undefined && !isTimeZone(script.timeZone)) throw new Error(`unknown timeZone "${String(script.timeZone)}" (use an IANA name such as Europe/Madrid)`);
  let state: WorkflowState | null = null;
  let timers: Array<{ id: string; at: number }> = [];
  let turn: Turn = { outcomes: [] };
  const entries: TranscriptEntry[] = [];
  const at = (): string => new Date(now).toISOString();
  const ctx = (): WorkflowContext => ({ now, language: script.language, timeZone: script.timeZone, profile: script.profile ?? {}, variables: script.variables ?? {}, subworkflows: opts.subworkflows });

  const apply = (event: WorkflowEvent): void => {
    const o = runWorkflow(wf, event, state, ctx());
    turn.outcomes.push(o);
    for (const r of o.replies) entries.push({ at: at(), kind: 'bot', text: r.text, detail: { templateId: r.templateId, quickReplies: r.quickReplies } });
    for (const a of o.actions) entries.push({ at: at(), kind: 'action', text: a.type, detail: a.attributes });
    if (o.error !== undefined) entries.push({ at: at(), kind: 'bot', text: `[${o.error.code}] ${o.error.message}`, detail: o.error });
    if (!o.handled && o.error === undefined && event.kind === 'message') entries.push({ at: at(), kind: 'bot', text: '[not handled: the host falls back]' });
    state = o.state;
    timers = [...timers, ...o.timers].sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
  };

  for (const step of script.steps) {
    if ('patient' in step) {
      turn = { outcomes: [] };
      entries.push({ at: at(), kind: 'patient', text: step.patient });
      const u = await opts.understand(step.patient, script.language, new Date(now));
      apply({ kind: 'message', intent: u.intent, text: step.patient, language: u.language, entities: u.entities });
    } else if ('signal' in step) {
      turn = { outcomes: [] };
      entries.push({ at: at(), kind: 'signal', text: step.signal, detail: step.attributes ?? {} });
      apply({ kind: 'signal', type: step.signal, attributes: step.attributes ?? {} });
    } else if ('advance' in step) {
      turn = { outcomes: [] };
      const until = now + parseAdvance(step.advance);
      // Due timers fire in time order, each at its own instant, as the scheduler would fire them.
      for (let next = timers[0]; next !== undefined && next.at <= until; next = timers[0]) {
        timers = timers.slice(1);
        now = next.at;
        entries.push({ at: at(), kind: 'timer', text: next.id });
        apply({ kind: 'timer', timerId: next.id });
      }
      now = until;
    } else {
      const failed = failures(step.expect, turn, state);
      entries.push({ at: at(), kind: 'expectation', text: failed.join('; ') || 'ok', detail: step.expect, ok: failed.length === 0 });
    }
  }
  return { entries, passed: entries.every((e) => e.ok !== false), state };
}

/** The transcript as a reader would want it in a review: one line per entry. */
export function formatTranscript(t: Transcript): string {
  const mark: Record<TranscriptEntry['kind'], string> = { patient: 'patient >', bot: 'bot     <', action: 'action  *', signal: 'signal  !', timer: 'timer   @', expectation: 'expect  ?' };
  return t.entries.map((e) => `${e.at.slice(0, 16).replace('T', ' ')} ${mark[e.kind]} ${e.text ?? ''}${e.ok === false ? '  FAILED' : ''}${e.kind === 'action' ? ` ${JSON.stringify(e.detail)}` : ''}`).join('\n');
}
