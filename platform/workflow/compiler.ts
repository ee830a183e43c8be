import { createHash } from 'node:crypto';
import type { AnswerSpec, Arg, Expr, Handler, Stmt, TextRef, Trigger, WorkflowAst } from './ast.js';
import type { Catalog } from './catalog.js';
import { checkWorkflow, forEachStmt } from './checker.js';
import { COMPILED_FORMAT, END_STEP, type CAnswer, type CArg, type CExpr, type CompiledWorkflow, type CStep, type CTrigger, type Target } from './compiled.js';
import { durationMs } from './functions.js';
import { parseWorkflow } from './parser.js';
import type { Problem } from './problems.js';

export type CompileResult = { ok: true; workflow: CompiledWorkflow; warnings: Problem[] } | { ok: false; problems: Problem[] };

function ms(d: { amount: number; unit: string }): number {
  return durationMs(d.amount, d.unit) ?? 0;
}

export function compileExpr(e: Expr): CExpr {
  switch (e.kind) {
    case 'num': case 'percent': return { k: 'lit', v: e.value };
    case 'duration': return { k: 'lit', v: ms(e.duration) };
    case 'time': case 'str': case 'answer': case 'bool': return { k: 'lit', v: e.value };
    case 'ref': return { k: 'ref', name: e.name };
    case 'field': return { k: 'profile', name: e.name };
    case 'call': return { k: 'call', fn: e.fn, args: e.args.map(compileExpr) };
    case 'not': return { k: 'not', e: compileExpr(e.operand) };
    case 'bin': return { k: 'bin', op: e.op, l: compileExpr(e.left), r: compileExpr(e.right) };
  }
}

const args = (list: readonly Arg[]): CArg[] => list.map((a) => ({ name: a.name, value: compileExpr(a.value) }));

/** Turns the checked AST into a step graph: each block compiles back to front onto its continuation. */
class Compiler {
  private readonly ids = new Map<Stmt, string>();
  readonly steps: Record<string, CStep> = { [END_STEP]: { op: 'end', line: 0 } };
  readonly texts: Record<string, Record<string, string[]>> = {};
  private readonly defaultLang: string;

  constructor(ast: WorkflowAst, private readonly catalog: Catalog) {
    this.defaultLang = ast.languages[0]?.name ?? catalog.languages[0] ?? 'en';
    let n = 0;
    // Ids follow source order, so "s3" in a log points at the third statement a reader sees.
    for (const h of ast.handlers) forEachStmt(h.body, (s) => { n += 1; this.ids.set(s, `s${n}`); });
    for (const t of ast.texts) this.texts[t.id.name] = Object.fromEntries(t.parts.map((p) => [p.lang, p.variants]));
  }

  private text(ref: TextRef, inlineId: string): string {
    if (ref.kind === 'ref') {
      const template = this.catalog.templates[ref.id];
      if (this.texts[ref.id] === undefined && template !== undefined) this.texts[ref.id] = template;
      return ref.id;
    }
    this.texts[inlineId] = Object.fromEntries(ref.parts.map((p) => [p.lang ?? this.defaultLang, p.variants]));
    return inlineId;
  }

  block(stmts: readonly Stmt[], cont: Target): Target {
    let next = cont;
    for (const s of [...stmts].reverse()) next = this.stmt(s, next);
    return next;
  }

  private stmt(s: Stmt, next: Target): string {
    const id = this.ids.get(s) ?? `s${this.ids.size + 1}`;
    const line = s.pos.line;
    switch (s.kind) {
      case 'say': this.steps[id] = { op: 'say', line, text: this.text(s.text, `~${id}`), next, ...(s.reward === null ? {} : { reward: { kind: s.reward.kind, withinMs: ms(s.reward.within) } }) }; break;
      case 'ask': this.steps[id] = this.ask(s, id, next); break;
      case 'if': this.steps[id] = {
        op: 'if', line, arms: s.arms.map((a) => ({ cond: compileExpr(a.cond), then: this.block(a.body, next) })),
        else: s.elseBody === null ? next : this.block(s.elseBody, next),
      }; break;
      case 'set': this.steps[id] = { op: 'set', line, slot: s.slot.name, value: compileExpr(s.value), next }; break;
      case 'do': this.steps[id] = { op: 'action', line, type: s.action.name, attributes: args(s.args), next }; break;
      case 'emit': this.steps[id] = { op: 'action', line, type: 'emit', attributes: [{ name: 'event', value: { k: 'lit', v: s.event.name } }, ...args(s.args)], next }; break;
      case 'remind': this.steps[id] = { op: 'remind', line, afterMs: ms(s.after), attributes: args(s.args), next }; break;
      case 'wait': this.steps[id] = { op: 'wait', line, ms: ms(s.duration), next }; break;
      case 'call': this.steps[id] = { op: 'call', line, workflow: s.workflow.name, args: args(s.args), next }; break;
      case 'end': this.steps[id] = { op: 'end', line }; break;
    }
    return id;
  }

  private answer(a: AnswerSpec, id: string): CAnswer {
    if (a.type !== 'choice') return a;
    return { type: 'choice', options: a.options.map((o) => ({ key: o.key, text: this.text(o.label, `~${id}.${o.key}`) })) };
  }

  private ask(s: Extract<Stmt, { kind: 'ask' }>, id: string, next: Target): CStep {
    const answer = this.answer(s.answer, id);
    const keys = answer.type === 'yes_no' ? ['yes', 'no'] : answer.type === 'choice' ? answer.options.map((o) => o.key) : ['answer'];
    const branches: Record<string, Target> = {};
    for (const k of keys) {
      const b = s.branches.find((x) => x.key === k);
      branches[k] = b === undefined ? next : this.block(b.body, next);
    }
    // Without a handler, running out of retries or time ends the conversation rather than guessing.
    branches['otherwise'] = s.otherwise === null ? END_STEP : this.block(s.otherwise.body, next);
    const timeout = s.branches.find((b) => b.key === 'timeout');
    if (s.timeout !== null) branches['timeout'] = timeout === undefined ? END_STEP : this.block(timeout.body, next);
    return {
      op: 'ask', line: s.pos.line, slot: s.slot?.name ?? null, text: this.text(s.question, `~${id}`), answer,
      retries: s.retries?.value ?? 2, reprompt: s.reprompt === null ? null : this.text(s.reprompt, `~${id}.reprompt`),
      timeoutMs: s.timeout === null ? null : ms(s.timeout), branches,
    };
  }

  trigger(h: Handler, index: number): CTrigger {
    const base = { id: `t${index + 1}`, entry: this.block(h.body, null), line: h.pos.line };
    const t: Trigger = h.trigger;
    switch (t.kind) {
      case 'intent': return { ...base, kind: 'intent', intents: t.intents.map((i) => i.name), anytime: t.anytime };
      case 'signal': return { ...base, kind: 'signal', signal: t.signal.name, params: t.params.map((p) => p.name) };
      case 'call': return { ...base, kind: 'call', params: t.params.map((p) => p.name) };
      case 'schedule': {
        const s = t.schedule;
        if (s.kind === 'daily') return { ...base, kind: 'daily', time: s.at.kind === 'time' ? s.at.value.padStart(5, '0') : null, field: s.at.kind === 'ref' ? s.at.name : null };
        return { ...base, kind: 'relative', offsetMs: (s.direction === 'before' ? -1 : 1) * ms(s.offset), field: s.anchor.name };
      }
    }
  }
}

/** Source → checked, compiled workflow; any error-severity problem blocks compilation. */
export function compileWorkflow(source: string, catalog: Catalog): CompileResult {
  const parsed = parseWorkflow(source);
  if (!parsed.ok) return parsed;
  const problems = checkWorkflow(parsed.ast, catalog);
  if (problems.some((p) => p.severity === 'error')) return { ok: false, problems };
  const c = new Compiler(parsed.ast, catalog);
  const triggers = parsed.ast.handlers.map((h, i) => c.trigger(h, i));
  const languages = [...catalog.languages];
  const workflow: CompiledWorkflow = { format: COMPILED_FORMAT, name: parsed.ast.name, version: parsed.ast.version, languages, triggers, steps: c.steps, texts: c.texts };
  return { ok: true, workflow, warnings: problems };
}

/** JSON with object keys sorted, so equal workflows serialise to equal bytes. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** "sha256:<hex>" of the canonical JSON: identifies a published version's exact behaviour and wording. */
export function checksum(compiled: CompiledWorkflow): string {
  return `sha256:${createHash('sha256').update(canonicalJson(compiled)).digest('hex')}`;
}
