import { readAnswer, type ReadAnswer } from './answers.js';
import { COMPILED_FORMAT, type CArg, type CompiledWorkflow, type CReward, type CStep, type CTrigger } from './compiled.js';
import { evaluate, isTrue, WorkflowRuntimeError, type Env } from './evaluate.js';
import type { Value } from './functions.js';
import { SYMBOLS } from './check-expr.js';
import { display, renderReply, variantsOf, fill } from './render.js';
import {
  STATE_FORMAT, type Frame, type WorkflowAction, type WorkflowContext, type WorkflowEvent, type WorkflowOutcome, type WorkflowReply, type WorkflowState,
} from './runtime-types.js';
import { armSchedules } from './schedule.js';
import { effectiveTimeZone, localParts } from '../time/zones.js';

export * from './runtime-types.js';

// A guard against runaway graphs: a real handler runs a few dozen steps per event.
const MAX_STEPS = 500;
const MAX_CALL_DEPTH = 8;
const QUICK_YES_NO: Record<string, string[]> = { en: ['Yes', 'No'], es: ['Sí', 'No'] };
const SORRY: Record<string, string> = { en: 'Sorry, I did not get that.', es: 'Perdón, no le entendí.' };

type AskStep = Extract<CStep, { op: 'ask' }>;
type Message = Extract<WorkflowEvent, { kind: 'message' }>;

export function initialWorkflowState(wf: CompiledWorkflow): WorkflowState {
  return { format: STATE_FORMAT, workflow: wf.name, version: wf.version, slots: {}, question: null, sleepers: [], schedules: {}, seq: 0 };
}

/** A stored state for this workflow version; one from another version keeps only its slots. */
function adopt(wf: CompiledWorkflow, stored: WorkflowState | null): WorkflowState {
  const fresh = initialWorkflowState(wf);
  if (stored === null || stored.format !== STATE_FORMAT) return fresh;
  if (stored.workflow !== wf.name || stored.version !== wf.version) return { ...fresh, slots: { ...stored.slots }, seq: stored.seq };
  return structuredClone(stored);
}

const attr = (v: Value): string => (v === null ? '' : String(v));

const top = (stack: Frame[]): Frame => {
  const f = stack[stack.length - 1];
  if (f === undefined) throw new WorkflowRuntimeError('empty call stack');
  return f;
};

/** One event's run: accumulates replies, actions and timers on a private copy of the state. */
class Run {
  readonly replies: WorkflowReply[] = [];
  readonly actions: WorkflowAction[] = [];
  readonly timers: Array<{ id: string; at: number }> = [];
  endedExplicitly = false;
  /** What the current message named (said_medication, said_datetime): per event, never stored. */
  readonly said: Record<string, Value> = {};
  private currentStep: string | null = null;

  constructor(readonly wf: CompiledWorkflow, readonly state: WorkflowState, readonly ctx: WorkflowContext) {}

  get step(): string | null { return this.currentStep; }

  value(name: string): Value {
    const slot = this.state.slots[name];
    if (slot !== undefined) return slot;
    const said = this.said[name];
    if (said !== undefined) return said;
    const variable = this.ctx.variables[name];
    if (variable !== undefined) return variable;
    const field = this.ctx.profile[name];
    if (field !== undefined) return field;
    return this.builtin(name);
  }

  private builtin(name: string): Value {
    // The wall clock is read only by the clock built-ins, not for every name that falls through.
    const local = (): ReturnType<typeof localParts> => localParts(this.ctx.now, this.timeZone);
    const two = (n: number): string => String(n).padStart(2, '0');
    switch (name) {
      case 'now': return this.ctx.now;
      case 'time_of_day': { const l = local(); return `${two(l.hour)}:${two(l.minute)}`; }
      case 'today': { const l = local(); return `${l.year}-${two(l.month)}-${two(l.day)}`; }
      case 'weekday': return ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'][local().weekday] ?? null;
      case 'language': return this.ctx.language;
      default: return SYMBOLS.has(name) ? name : null;
    }
  }

  private get env(): Env {
    return { now: this.ctx.now, lookup: (n) => this.value(n), profile: (n) => this.ctx.profile[n] ?? null };
  }

  /** The zone times are read in: the context's, else a profile field, else UTC (never an unknown name). */
  get timeZone(): string {
    return effectiveTimeZone(this.ctx.timeZone, typeof this.ctx.profile['timezone'] === 'string' ? this.ctx.profile['timezone'] : null);
  }

  private text(name: string): string {
    return display(this.value(name), this.ctx.language, this.timeZone);
  }

  workflowOf(name: string): CompiledWorkflow {
    if (name === '') return this.wf;
    const sub = this.ctx.subworkflows?.[name];
    if (sub === undefined || sub.format !== COMPILED_FORMAT) throw new WorkflowRuntimeError(`sub-workflow "${name}" is not available`);
    return sub;
  }

  say(wf: CompiledWorkflow, textId: string, quickReplies: string[] = [], reward?: CReward): void {
    this.state.seq += 1;
    const reply = renderReply(wf, textId, this.ctx.language, (n) => this.text(n), String(this.state.seq), quickReplies);
    this.replies.push({ ...reply, textId, ...(reward === undefined ? {} : { reward }) });
  }

  private attributes(args: readonly CArg[]): Record<string, string> {
    return Object.fromEntries(args.map((a) => [a.name, attr(evaluate(a.value, this.env))]));
  }

  /** Runs from the top frame until the stack empties, a question is asked or a wait pauses it. */
  exec(stack: Frame[]): void {
    let budget = MAX_STEPS;
    while (stack.length > 0) {
      const frame = top(stack);
      if (frame.step === null) { stack.pop(); continue; }
      budget -= 1;
      if (budget < 0) throw new WorkflowRuntimeError('too many steps in one event', frame.step);
      const wf = this.workflowOf(frame.wf);
      const step = wf.steps[frame.step];
      if (step === undefined) throw new WorkflowRuntimeError(`no step ${frame.step}`, frame.step);
      this.currentStep = frame.step;
      if (!this.execStep(wf, step, frame, stack)) return;
    }
  }

  /** One step; false when the run pauses or ends here. */
  private execStep(wf: CompiledWorkflow, step: CStep, frame: Frame, stack: Frame[]): boolean {
    switch (step.op) {
      case 'say': this.say(wf, step.text, [], step.reward); frame.step = step.next; return true;
      case 'ask': this.ask(wf, step, stack); return false;
      case 'if': {
        const arm = step.arms.find((a) => isTrue(evaluate(a.cond, this.env)));
        frame.step = arm === undefined ? step.else : arm.then;
        return true;
      }
      case 'set': this.state.slots[step.slot] = evaluate(step.value, this.env); frame.step = step.next; return true;
      case 'action': this.actions.push({ type: step.type, attributes: this.attributes(step.attributes) }); frame.step = step.next; return true;
      case 'remind':
        this.actions.push({ type: 'set_reminder', attributes: { at: new Date(this.ctx.now + step.afterMs).toISOString(), ...this.attributes(step.attributes) } });
        frame.step = step.next;
        return true;
      case 'wait': {
        frame.step = step.next;
        const timerId = this.timer('wait', this.ctx.now + step.ms);
        this.state.sleepers.push({ timerId, at: this.ctx.now + step.ms, stack: structuredClone(stack) });
        return false;
      }
      case 'call': this.call(step, frame, stack); return true;
      // `end conversation` forgets the conversation (question, slots); other waits and schedules still fire.
      case 'end': this.endedExplicitly = true; this.state.question = null; this.state.slots = {}; stack.length = 0; return false;
    }
  }

  private timer(kind: string, at: number): string {
    this.state.seq += 1;
    const id = `${kind}:${this.state.seq}`;
    this.timers.push({ id, at });
    return id;
  }

  private call(step: Extract<CStep, { op: 'call' }>, frame: Frame, stack: Frame[]): void {
    if (stack.length >= MAX_CALL_DEPTH) throw new WorkflowRuntimeError(`calls nested deeper than ${MAX_CALL_DEPTH}`, this.currentStep);
    const sub = this.workflowOf(step.workflow);
    const entry = sub.triggers.find((t) => t.kind === 'call');
    if (entry === undefined) throw new WorkflowRuntimeError(`"${step.workflow}" has no "on call" block`, this.currentStep);
    Object.assign(this.state.slots, this.attributes(step.args));
    frame.step = step.next;
    stack.push({ wf: step.workflow, step: entry.entry });
  }

  quickReplies(wf: CompiledWorkflow, step: AskStep): string[] {
    if (step.answer.type === 'yes_no') return QUICK_YES_NO[this.ctx.language] ?? QUICK_YES_NO['en'] ?? [];
    if (step.answer.type !== 'choice') return [];
    return step.answer.options.map((o) => fill(variantsOf(wf, o.text, this.ctx.language)[0] ?? o.key, (n) => this.text(n)));
  }

  ask(wf: CompiledWorkflow, step: AskStep, stack: Frame[]): void {
    this.say(wf, step.text, this.quickReplies(wf, step));
    const timerId = step.timeoutMs === null ? null : this.timer('ask', this.ctx.now + step.timeoutMs);
    this.state.question = { stack: structuredClone(stack), retries: 0, timerId };
  }

  /** The pending question's step, in whichever workflow asked it. */
  pending(): { wf: CompiledWorkflow; step: AskStep; stack: Frame[] } | null {
    const q = this.state.question;
    if (q === null) return null;
    const frame = top(q.stack);
    const wf = this.workflowOf(frame.wf);
    const step = frame.step === null ? undefined : wf.steps[frame.step];
    if (step?.op !== 'ask') throw new WorkflowRuntimeError('the pending question is gone', frame.step);
    return { wf, step, stack: structuredClone(q.stack) };
  }

  /** Leaves the question through `key` ('yes', an option, 'answer', 'otherwise', 'timeout'). */
  resume(p: { step: AskStep; stack: Frame[] }, key: string): void {
    this.state.question = null;
    const target = p.step.branches[key];
    if (target === undefined) throw new WorkflowRuntimeError(`the question has no "${key}" branch`, this.currentStep);
    top(p.stack).step = target;
    this.exec(p.stack);
  }

  read(p: { wf: CompiledWorkflow; step: AskStep }, msg: Message): ReadAnswer {
    const labels = p.step.answer.type === 'choice'
      ? p.step.answer.options.map((o) => ({ key: o.key, labels: variantsOf(p.wf, o.text, this.ctx.language).map((t) => fill(t, (n) => this.text(n))) }))
      : [];
    return readAnswer(p.step.answer, msg, labels);
  }

  answer(msg: Message): void {
    const p = this.pending();
    const q = this.state.question;
    if (p === null || q === null) return;
    const read = this.read(p, msg);
    if (read.ok) {
      if (p.step.slot !== null) this.state.slots[p.step.slot] = read.value;
      this.resume(p, read.key);
      return;
    }
    q.retries += 1;
    if (q.retries > p.step.retries) { this.resume(p, 'otherwise'); return; }
    this.reprompt(p.wf, p.step);
  }

  reprompt(wf: CompiledWorkflow, step: AskStep): void {
    if (step.reprompt !== null) { this.say(wf, step.reprompt, this.quickReplies(wf, step)); return; }
    this.say(wf, step.text, this.quickReplies(wf, step));
    const last = this.replies[this.replies.length - 1];
    const sorry = SORRY[this.ctx.language] ?? SORRY['en'] ?? '';
    if (last !== undefined) {
      last.variants = last.variants.map((v) => `${sorry} ${v}`);
      last.text = `${sorry} ${last.text}`;
    }
  }

  start(t: CTrigger, attributes: Record<string, string> = {}): void {
    if (t.kind === 'signal') for (const p of t.params) this.state.slots[p] = attributes[p] ?? '';
    this.exec([{ wf: '', step: t.entry }]);
  }
}

function intentTrigger(wf: CompiledWorkflow, intent: string, anytimeOnly: boolean): CTrigger | undefined {
  return wf.triggers.find((t) => t.kind === 'intent' && t.intents.includes(intent) && (!anytimeOnly || t.anytime));
}

function onMessage(run: Run, msg: Message): boolean {
  run.said['said_medication'] = msg.entities.find((e) => e.type === 'medication')?.value ?? '';
  run.said['said_medication_id'] = msg.entities.find((e) => e.type === 'medication_id')?.value ?? '';
  run.said['said_datetime'] = msg.entities.find((e) => e.type === 'datetime')?.value ?? '';
  run.said['said_service'] = msg.entities.find((e) => e.type === 'service')?.value ?? '';
  const waiting = run.state.question;
  if (waiting !== null) {
    const interrupt = intentTrigger(run.wf, msg.intent, true);
    const p = run.pending();
    // A valid answer wins over an `anytime` block ("worse" is an answer even if it reads as a symptom),
    // except for free-text questions, which any message would answer.
    const answers = p !== null && p.step.answer.type !== 'text' && run.read(p, msg).ok;
    if (interrupt === undefined || answers) { run.answer(msg); return true; }
    // The `anytime` block answers first; then the question stands, unless that block ended the conversation or asked anew.
    run.start(interrupt);
    if (!run.endedExplicitly && run.state.question === waiting && p !== null) run.say(p.wf, p.step.text, run.quickReplies(p.wf, p.step));
    return true;
  }
  const t = intentTrigger(run.wf, msg.intent, false);
  if (t === undefined) return false;
  run.start(t);
  return true;
}

function onTimer(run: Run, timerId: string): boolean {
  const s = run.state;
  const sleeper = s.sleepers.find((x) => x.timerId === timerId);
  if (sleeper !== undefined) {
    s.sleepers = s.sleepers.filter((x) => x !== sleeper);
    run.exec(sleeper.stack);
    return true;
  }
  if (s.question !== null && s.question.timerId === timerId) {
    const p = run.pending();
    if (p !== null) run.resume(p, 'timeout');
    return true;
  }
  const m = /^sched:(t\d+):(\d+)$/.exec(timerId);
  const armed = m === null ? undefined : s.schedules[m[1] ?? ''];
  const trigger = run.wf.triggers.find((t) => t.id === m?.[1]);
  if (m === null || armed === undefined || armed.fired || armed.at !== Number(m[2]) || trigger === undefined) return false;
  armed.fired = true;
  run.start(trigger);
  return true;
}

function dispatch(run: Run, event: WorkflowEvent): boolean {
  switch (event.kind) {
    case 'message': return onMessage(run, event);
    case 'timer': return onTimer(run, event.timerId);
    case 'signal': {
      const t = run.wf.triggers.find((x) => x.kind === 'signal' && x.signal === event.type);
      if (t === undefined) return false;
      run.start(t, event.attributes);
      return true;
    }
  }
}

function keep(state: WorkflowState): boolean {
  return Object.keys(state.slots).length > 0 || state.question !== null || state.sleepers.length > 0 || Object.values(state.schedules).some((s) => !s.fired);
}

/**
 * The workflow's pure step function: one event, the stored state and the context in; replies,
 * actions, timers to arm and the next state out. Deterministic; never throws (WF_RUNTIME instead).
 */
export function runWorkflow(wf: CompiledWorkflow, event: WorkflowEvent, state: WorkflowState | null, ctx: WorkflowContext): WorkflowOutcome {
  let run: Run | null = null;
  try {
    if (wf.format !== COMPILED_FORMAT) throw new WorkflowRuntimeError(`unknown compiled format ${String(wf.format)}`);
    run = new Run(wf, adopt(wf, state), ctx);
    const handled = dispatch(run, event);
    const timers = [...run.timers, ...armSchedules(wf, run.state, ctx.now, (n) => run?.value(n) ?? null, run.timeZone)];
    return { replies: run.replies, actions: run.actions, timers, state: keep(run.state) ? run.state : null, handled, ended: run.state.question === null };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const step = err instanceof WorkflowRuntimeError ? err.step ?? run?.step ?? null : run?.step ?? null;
    return { replies: [], actions: [], timers: [], state, handled: false, ended: state === null || state.question === null, error: { code: 'WF_RUNTIME', message, step } };
  }
}
