import type { Arg, AskStmt, DurationNode, Expr, Pos, Stmt, TextRef, Trigger, WorkflowAst } from './ast.js';
import type { Catalog, ValueType } from './catalog.js';
import { BUILTIN_TYPES, typeOfExpr, validTime, type ExprScope } from './check-expr.js';
import { DURATION_UNITS, durationMs } from './functions.js';
import { dosingInstruction } from '../safety/dosing.js';
import { byPosition, problem, type Problem } from './problems.js';

/** Intents the dialogue's safety layer answers before any workflow runs: a trigger on them never fires. */
export const HOST_INTENTS: ReadonlySet<string> = new Set(['emergency', 'opt_out', 'opt_in', 'program_opt_out']);
export const MAX_RETRIES = 10;

/** Every statement in a block, depth first, in source order. */
export function forEachStmt(stmts: readonly Stmt[], fn: (s: Stmt) => void): void {
  for (const s of stmts) {
    fn(s);
    for (const block of childBlocks(s)) forEachStmt(block, fn);
  }
}

export function childBlocks(s: Stmt): Stmt[][] {
  if (s.kind === 'if') return [...s.arms.map((a) => a.body), ...(s.elseBody === null ? [] : [s.elseBody])];
  if (s.kind === 'ask') return [...s.branches.map((b) => b.body), ...(s.otherwise === null ? [] : [s.otherwise.body])];
  return [];
}

const PLACEHOLDER = /\{(\w+)\}/g;
const ANSWER_TYPES: Record<AskStmt['answer']['type'], ValueType> = { yes_no: 'answer', number: 'number', date: 'date', text: 'string', choice: 'string' };

class Checker {
  readonly problems: Problem[] = [];
  private readonly slots = new Map<string, ValueType>();
  private readonly localTexts = new Map<string, Set<string>>();
  private readonly usedTexts = new Set<string>();
  private readonly defaultLang: string;

  constructor(private readonly ast: WorkflowAst, private readonly catalog: Catalog) {
    this.defaultLang = ast.languages[0]?.name ?? catalog.languages[0] ?? 'en';
  }

  report(p: Problem): void { this.problems.push(p); }

  run(): Problem[] {
    for (const l of this.ast.languages) {
      if (!this.catalog.languages.includes(l.name)) this.report(problem('WF_UNKNOWN_LANGUAGE', l.pos, `the organisation does not speak "${l.name}" (${this.catalog.languages.join(', ')})`));
    }
    if (this.ast.handlers.length === 0) this.report(problem('WF_NO_TRIGGER', this.ast.pos, 'the workflow has no "on …" block, so it never runs'));
    this.collectSlots();
    this.checkTextDecls();
    this.checkTriggers();
    for (const h of this.ast.handlers) this.checkBlock(h.body);
    for (const t of this.ast.texts) {
      if (!this.usedTexts.has(t.id.name)) this.report(problem('WF_UNUSED_TEXT', t.id.pos, `text "${t.id.name}" is never said`, 'warning'));
    }
    return this.problems.sort(byPosition);
  }

  private defineSlot(name: string, type: ValueType): void {
    const prev = this.slots.get(name);
    this.slots.set(name, prev === undefined || prev === type ? type : 'unknown');
  }

  /** Slots are workflow-wide: an answer collected in one block may be read in another. */
  private collectSlots(): void {
    for (const h of this.ast.handlers) {
      if (h.trigger.kind === 'signal' || h.trigger.kind === 'call') for (const p of h.trigger.params) this.defineSlot(p.name, 'unknown');
      forEachStmt(h.body, (s) => {
        if (s.kind === 'ask' && s.slot !== null) this.defineSlot(s.slot.name, ANSWER_TYPES[s.answer.type]);
      });
    }
    // `set` may copy one slot into another, so its type is known only once the others are.
    for (const h of this.ast.handlers) {
      forEachStmt(h.body, (s) => { if (s.kind === 'set') this.defineSlot(s.slot.name, 'unknown'); });
    }
  }

  private typeOfName(name: string): ValueType | undefined {
    return this.slots.get(name) ?? BUILTIN_TYPES[name] ?? this.profileType(name)
      ?? (this.catalog.variables?.includes(name) === true ? 'string' : undefined);
  }

  private profileType(name: string): ValueType | undefined {
    if (!this.catalog.profileFields.includes(name)) return undefined;
    return this.catalog.profileTypes?.[name] ?? 'unknown';
  }

  private expr(e: Expr): ValueType {
    const scope: ExprScope = {
      typeOf: (n) => this.typeOfName(n), profileType: (n) => this.profileType(n), report: (p) => this.report(p),
      profileValues: (x) => {
        const name = x.kind === 'field' && x.scope === 'profile' ? x.name : x.kind === 'ref' && !this.slots.has(x.name) ? x.name : undefined;
        return name === undefined || !this.catalog.profileFields.includes(name) ? undefined : this.catalog.profileValues?.[name];
      },
    };
    return typeOfExpr(e, scope);
  }

  private placeholders(texts: readonly string[], at: Pos): void {
    for (const t of texts) {
      for (const m of t.matchAll(PLACEHOLDER)) {
        const name = m[1] ?? '';
        if (this.typeOfName(name) === undefined) this.report(problem('WF_UNDEFINED_VARIABLE', at, `{${name}} is not a slot, profile field or variable`));
      }
    }
  }

  /** Nothing the workflow says may tell the patient to change a dose (every variant, every language). */
  private dosing(texts: readonly string[], at: Pos): void {
    for (const t of texts) {
      const phrase = dosingInstruction(t);
      if (phrase !== null) {
        this.report(problem('WF_DOSING_ADVICE', at, `"${phrase}" tells the patient to change a dose; quote the prescription ("Your prescription says: {instruction}") or refer them to the pharmacist or care team`));
      }
    }
  }

  private languagesCovered(langs: ReadonlyArray<{ lang: string; pos: Pos }>, at: Pos, what: string): void {
    for (const l of langs) {
      if (!this.catalog.languages.includes(l.lang)) this.report(problem('WF_UNKNOWN_LANGUAGE', l.pos, `the organisation does not speak "${l.lang}"`));
    }
    const missing = this.catalog.languages.filter((l) => !langs.some((x) => x.lang === l));
    if (missing.length > 0) this.report(problem('WF_MISSING_TRANSLATION', at, `${what} has no ${missing.join(', ')} wording`));
  }

  private checkTextDecls(): void {
    for (const t of this.ast.texts) {
      if (this.localTexts.has(t.id.name)) this.report(problem('WF_DUPLICATE_TEXT', t.id.pos, `text "${t.id.name}" is defined twice`));
      this.localTexts.set(t.id.name, new Set(t.parts.map((p) => p.lang)));
    }
    for (const t of this.ast.texts) {
      this.languagesCovered(t.parts, t.id.pos, `text "${t.id.name}"`);
      for (const p of t.parts) { this.placeholders(p.variants, p.pos); this.dosing(p.variants, p.pos); }
    }
  }

  private text(ref: TextRef): void {
    if (ref.kind === 'inline') {
      const parts = ref.parts.map((p) => ({ lang: p.lang ?? this.defaultLang, pos: p.pos }));
      this.languagesCovered(parts, ref.pos, 'this text');
      for (const p of ref.parts) { this.placeholders(p.variants, p.pos); this.dosing(p.variants, p.pos); }
      return;
    }
    if (this.localTexts.has(ref.id)) { this.usedTexts.add(ref.id); return; }
    const template = this.catalog.templates[ref.id];
    if (template === undefined) { this.report(problem('WF_UNKNOWN_TEMPLATE', ref.pos, `no text or template "${ref.id}"`)); return; }
    const missing = this.catalog.languages.filter((l) => (template[l] ?? []).length === 0);
    if (missing.length > 0) this.report(problem('WF_MISSING_TRANSLATION', ref.pos, `template "${ref.id}" has no ${missing.join(', ')} wording`));
    this.placeholders(Object.values(template).flat(), ref.pos);
    this.dosing(Object.values(template).flat(), ref.pos);
  }

  private duration(d: DurationNode): void {
    const ms = durationMs(d.amount, d.unit);
    if (ms === null) this.report(problem('WF_BAD_DURATION', d.pos, `unknown unit "${d.unit}" (use ${DURATION_UNITS.join(', ')})`));
    else if (ms <= 0) this.report(problem('WF_BAD_DURATION', d.pos, 'a duration must be longer than zero'));
  }

  private checkTriggers(): void {
    const seen = new Map<string, Pos>();
    const once = (key: string, label: string, pos: Pos): void => {
      if (seen.has(key)) this.report(problem('WF_DUPLICATE_TRIGGER', pos, `${label} already starts the block at line ${seen.get(key)?.line ?? 0}`));
      else seen.set(key, pos);
    };
    for (const h of this.ast.handlers) this.checkTrigger(h.trigger, once);
  }

  private checkTrigger(t: Trigger, once: (key: string, label: string, pos: Pos) => void): void {
    switch (t.kind) {
      case 'intent':
        for (const i of t.intents) {
          if (!this.catalog.intents.includes(i.name)) this.report(problem('WF_UNKNOWN_INTENT', i.pos, `unknown intent "${i.name}"`));
          else if (HOST_INTENTS.has(i.name)) this.report(problem('WF_UNREACHABLE', i.pos, `"${i.name}" is answered by the safety layer before any workflow runs`));
          once(`intent:${i.name}`, `intent "${i.name}"`, i.pos);
        }
        return;
      case 'signal':
        if (!this.catalog.signals.includes(t.signal.name)) this.report(problem('WF_UNKNOWN_SIGNAL', t.signal.pos, `unknown signal "${t.signal.name}"`));
        once(`signal:${t.signal.name}`, `signal "${t.signal.name}"`, t.signal.pos);
        return;
      case 'call': once('call', '"on call"', t.pos); return;
      case 'schedule': this.checkSchedule(t, once); return;
    }
  }

  private checkSchedule(t: Extract<Trigger, { kind: 'schedule' }>, once: (key: string, label: string, pos: Pos) => void): void {
    const s = t.schedule;
    if (s.kind === 'daily') {
      if (s.at.kind === 'time' && !validTime(s.at.value.padStart(5, '0'))) this.report(problem('WF_BAD_VALUE', s.at.pos, `"${s.at.value}" is not a time of day (00:00-23:59)`));
      if (s.at.kind === 'ref' && this.typeOfName(s.at.name) === undefined) this.report(problem('WF_UNDEFINED_VARIABLE', s.at.pos, `"${s.at.name}" is not a slot or profile field`));
      once(`daily:${s.at.kind === 'time' ? s.at.value : s.at.name}`, 'this schedule', t.pos);
      return;
    }
    this.duration(s.offset);
    if (this.typeOfName(s.anchor.name) === undefined) this.report(problem('WF_UNDEFINED_VARIABLE', s.anchor.pos, `"${s.anchor.name}" is not a slot or profile field`));
    once(`rel:${s.offset.amount}${s.offset.unit}:${s.direction}:${s.anchor.name}`, 'this schedule', t.pos);
  }

  /** A block that always reaches `end conversation` lets nothing after it run. */
  private checkBlock(stmts: readonly Stmt[]): boolean {
    let ended = false;
    for (const s of stmts) {
      if (ended) { this.report(problem('WF_UNREACHABLE', s.pos, 'this step never runs: the conversation has ended before it')); return true; }
      ended = this.checkStmt(s);
    }
    return ended;
  }

  private args(args: readonly Arg[]): void {
    const seen = new Set<string>();
    for (const a of args) {
      if (seen.has(a.name)) this.report(problem('WF_BAD_VALUE', a.pos, `"${a.name}" is given twice`));
      seen.add(a.name);
      this.expr(a.value);
    }
  }

  /** Checks one statement; true when it always ends the conversation. */
  private checkStmt(s: Stmt): boolean {
    switch (s.kind) {
      case 'say': this.text(s.text); if (s.reward !== null) this.duration(s.reward.within); return false;
      case 'ask': return this.checkAsk(s);
      case 'if': {
        for (const arm of s.arms) {
          const t = this.expr(arm.cond);
          if (t !== 'boolean' && t !== 'unknown') this.report(problem('WF_TYPE_MISMATCH', arm.cond.pos, `a condition must be true or false, got ${t}`));
        }
        const ends = s.arms.map((a) => this.checkBlock(a.body));
        const elseEnds = s.elseBody === null ? false : this.checkBlock(s.elseBody);
        return elseEnds && ends.every(Boolean);
      }
      case 'set': this.expr(s.value); return false;
      case 'do':
        if (!this.catalog.actions.includes(s.action.name)) this.report(problem('WF_UNKNOWN_ACTION', s.action.pos, `unknown action "${s.action.name}"`));
        this.args(s.args);
        return false;
      case 'remind': this.duration(s.after); this.args(s.args); return false;
      case 'emit': this.args(s.args); return false;
      case 'wait': this.duration(s.duration); return false;
      case 'call':
        if (!this.catalog.subworkflows.includes(s.workflow.name)) this.report(problem('WF_UNKNOWN_SUBWORKFLOW', s.workflow.pos, `no published workflow "${s.workflow.name}" to call`));
        this.args(s.args);
        return false;
      case 'end': return true;
    }
  }

  private checkAsk(s: AskStmt): boolean {
    this.text(s.question);
    if (s.reprompt !== null) this.text(s.reprompt);
    if (s.timeout !== null) this.duration(s.timeout);
    if (s.retries !== null && (s.retries.value < 0 || s.retries.value > MAX_RETRIES)) this.report(problem('WF_BAD_VALUE', s.retries.pos, `retries must be 0-${MAX_RETRIES}`));
    if (s.answer.type === 'number' && s.answer.min !== null && s.answer.max !== null && s.answer.min > s.answer.max) {
      this.report(problem('WF_BAD_VALUE', s.pos, `the range ${s.answer.min}-${s.answer.max} is empty`));
    }
    const keys = this.answerKeys(s);
    this.checkBranches(s, keys);
    const branchEnds = s.branches.map((b) => this.checkBlock(b.body));
    const otherwiseEnds = s.otherwise === null ? false : this.checkBlock(s.otherwise.body);
    const allKeysEnd = keys !== null && keys.every((k) => s.branches.some((b, i) => b.key === k && branchEnds[i] === true));
    return allKeysEnd && otherwiseEnds && (s.timeout === null || s.branches.some((b, i) => b.key === 'timeout' && branchEnds[i] === true));
  }

  /** The answers a question can branch on; null for typed answers (number, date, text) that have none. */
  private answerKeys(s: AskStmt): string[] | null {
    if (s.answer.type === 'yes_no') return ['yes', 'no'];
    if (s.answer.type !== 'choice') return null;
    const keys: string[] = [];
    for (const o of s.answer.options) {
      if (keys.includes(o.key)) this.report(problem('WF_DUPLICATE_BRANCH', o.pos, `option "${o.key}" is listed twice`));
      keys.push(o.key);
      this.text(o.label);
    }
    return keys;
  }

  private checkBranches(s: AskStmt, keys: string[] | null): void {
    const seen = new Set<string>();
    for (const b of s.branches) {
      if (seen.has(b.key)) this.report(problem('WF_DUPLICATE_BRANCH', b.pos, `"when ${b.key}" appears twice`));
      seen.add(b.key);
      if (b.key === 'timeout') {
        if (s.timeout === null) this.report(problem('WF_UNKNOWN_OPTION', b.pos, '"when timeout" needs a "timeout" on the question'));
      } else if (keys === null) {
        this.report(problem('WF_UNKNOWN_OPTION', b.pos, `a ${s.answer.type} answer has no options; store it in a slot and use "if"`));
      } else if (!keys.includes(b.key)) {
        this.report(problem('WF_UNKNOWN_OPTION', b.pos, `"${b.key}" is not an answer to this question (${keys.join(', ')})`));
      }
    }
    const branched = s.branches.some((b) => b.key !== 'timeout');
    const missing = keys?.filter((k) => !seen.has(k)) ?? [];
    if (branched && missing.length > 0) {
      this.report(problem('WF_UNHANDLED_ANSWER', s.pos, `no "when" for the answer(s) ${missing.join(', ')}`));
    } else if (!branched && s.slot === null) {
      this.report(problem('WF_UNHANDLED_ANSWER', s.pos, 'the answer is neither stored in a slot ("ask name: …") nor handled by "when"'));
    }
  }
}

/** Static checks: every problem in the workflow, sorted by position; errors block compilation. */
export function checkWorkflow(ast: WorkflowAst, catalog: Catalog): Problem[] {
  return new Checker(ast, catalog).run();
}

