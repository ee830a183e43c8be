import * as ohm from 'ohm-js';
import type { Arg, AnswerSpec, BinOp, Branch, DurationNode, Expr, Handler, Name, Pos, RewardNode, Schedule, Stmt, TextDecl, TextRef, Trigger, WorkflowAst } from './ast.js';
import { GRAMMAR_SOURCE } from './grammar.js';
import { problem, type Problem } from './problems.js';

// Compiled on first use, not at import: every service imports this module, few parse workflows, and
// the compile is a large share of a process's start (what a restart after a crash waits for).
let compiled: { grammar: ohm.Grammar; semantics: ohm.Semantics } | null = null;
function parser(): { grammar: ohm.Grammar; semantics: ohm.Semantics } {
  if (compiled === null) {
    const grammar = ohm.grammar(GRAMMAR_SOURCE);
    compiled = { grammar, semantics: buildSemantics(grammar) };
  }
  return compiled;
}

export type ParseResult = { ok: true; ast: WorkflowAst } | { ok: false; problems: Problem[] };

function pos(node: ohm.Node): Pos {
  const lc = node.source.getLineAndColumn();
  return { line: lc.lineNum, column: lc.colNum };
}

/** Line and column (1-based) of a character offset. */
export function lineColumn(source: string, offset: number): Pos {
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

function unquote(raw: string): string {
  return raw.slice(1, -1).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

const opt = (node: ohm.Node): ohm.Node | undefined => node.children[0];
const list = (node: ohm.Node): ohm.Node[] => node.asIteration().children;
const many = (node: ohm.Node): ohm.Node[] => node.children;

function buildSemantics(grammar: ohm.Grammar): ohm.Semantics {
const semantics = grammar.createSemantics();

// Each action returns one AST piece; callers cast to the piece the rule produces.
semantics.addOperation<unknown>('ast', {
  Program(header, decls, _end) {
    const h = header.ast() as Pick<WorkflowAst, 'name' | 'version' | 'languages'>;
    const parts = many(decls).map((d) => d.ast() as TextDecl | Handler);
    return {
      ...h, pos: pos(header),
      texts: parts.filter((p): p is TextDecl => 'id' in p),
      handlers: parts.filter((p): p is Handler => 'trigger' in p),
    } satisfies WorkflowAst;
  },
  Header(_w, name, _v, version, langs) {
    const l = opt(langs);
    return { name: name.ast() as string, version: Number(version.sourceString), languages: l === undefined ? [] : l.ast() as Name[] };
  },
  LangList(_kw, langs) { return list(langs).map(nameOf); },
  TextDecl(_kw, id, translations, _end) {
    const parts = many(translations).map((t) => t.ast() as { lang: string; variants: string[]; pos: Pos });
    return { id: nameOf(id), parts, pos: pos(this) } satisfies TextDecl;
  },
  Handler(_on, trigger, stmts, _end) {
    return { trigger: trigger.ast() as Trigger, body: stmtsOf(stmts), pos: pos(this) } satisfies Handler;
  },
  Trigger_intent(_kw, names, anytime) {
    return { kind: 'intent', intents: list(names).map(nameOf), anytime: anytime.numChildren > 0, pos: pos(this) } satisfies Trigger;
  },
  Trigger_signal(_kw, name, params) { return { kind: 'signal', signal: nameOf(name), params: paramsOf(params), pos: pos(this) } satisfies Trigger; },
  Trigger_schedule(_kw, schedule) { return { kind: 'schedule', schedule: schedule.ast() as Schedule, pos: pos(this) } satisfies Trigger; },
  Trigger_call(_kw, params) { return { kind: 'call', params: paramsOf(params), pos: pos(this) } satisfies Trigger; },
  Params(_kw, names) { return list(names).map(nameOf); },
  Schedule_daily(_every, _day, _at, time) {
    const t = time.children[0];
    const at = t?.ctorName === 'time'
      ? { kind: 'time' as const, value: time.sourceString, pos: pos(time) }
      : { kind: 'ref' as const, name: time.sourceString, pos: pos(time) };
    return { kind: 'daily', at } satisfies Schedule;
  },
  Schedule_relative(duration, dir, anchor) {
    return { kind: 'relative', offset: duration.ast() as DurationNode, direction: dir.sourceString as 'before' | 'after', anchor: nameOf(anchor) } satisfies Schedule;
  },
  Say(_kw, text, reward) {
    const r = opt(reward);
    return { kind: 'say', text: text.ast() as TextRef, reward: r === undefined ? null : r.ast() as RewardNode, pos: pos(this) } satisfies Stmt;
  },
  Reward(_kw, kind, _within, d) { return { kind: kind.sourceString as RewardNode['kind'], within: d.ast() as DurationNode, pos: pos(this) } satisfies RewardNode; },
  TextRef(ref) {
    if (ref.ctorName === 'ident') return { kind: 'ref', id: ref.sourceString, pos: pos(ref) } satisfies TextRef;
    return ref.ast();
  },
  Inline(variants, translations) {
    const first = { lang: null, variants: variants.ast() as string[], pos: pos(variants) };
    const rest = many(translations).map((t) => t.ast() as { lang: string; variants: string[]; pos: Pos });
    return { kind: 'inline', parts: [first, ...rest], pos: pos(this) } satisfies TextRef;
  },
  Variants(strings) { return list(strings).map((s) => s.ast() as string); },
  Translation(lang, _colon, variants) { return { lang: lang.sourceString, variants: variants.ast() as string[], pos: pos(lang) }; },
  Ask(_kw, slot, question, _as, answer, opts, branches) {
    const slotNode = opt(slot);
    const options = many(opts).map((o) => o.ast() as Partial<Extract<Stmt, { kind: 'ask' }>>);
    const b = opt(branches);
    const all = b === undefined ? [] : b.ast() as Array<Branch & { otherwise: boolean }>;
    const stmt: Stmt = {
      kind: 'ask', slot: slotNode === undefined ? null : nameOf(slotNode.children[0] as ohm.Node), question: question.ast() as TextRef,
      answer: answer.ast() as AnswerSpec, retries: null, reprompt: null, timeout: null,
      branches: all.filter((x) => !x.otherwise), otherwise: all.find((x) => x.otherwise) ?? null,
      endPos: b === undefined ? null : pos(b.children[1] as ohm.Node), pos: pos(this),
    };
    return Object.assign(stmt, ...options) as Stmt;
  },
  Answer_yesno(_kw) { return { type: 'yes_no' } satisfies AnswerSpec; },
  Answer_number(_kw, range) {
    const r = opt(range);
    const [min, max] = r === undefined ? [null, null] : r.ast() as [number, number];
    return { type: 'number', min, max } satisfies AnswerSpec;
  },
  Answer_date(_kw) { return { type: 'date' } satisfies AnswerSpec; },
  Answer_text(_kw) { return { type: 'text' } satisfies AnswerSpec; },
  Answer_choice(_kw, options) {
    return { type: 'choice', options: many(options).map((o) => o.ast() as { key: string; label: TextRef; pos: Pos }) } satisfies AnswerSpec;
  },
  Range(_b, min, _and, max) { return [Number(min.sourceString), Number(max.sourceString)]; },
  ChoiceOption(_kw, key, label) { return { key: key.sourceString, label: label.ast() as TextRef, pos: pos(key) }; },
  AskOpt_retries(_kw, n) { return { retries: { value: Number(n.sourceString), pos: pos(n) } }; },
  AskOpt_reprompt(_kw, text) { return { reprompt: text.ast() as TextRef }; },
  AskOpt_timeout(_kw, d) { return { timeout: d.ast() as DurationNode }; },
  Branches(branches, _end) { return many(branches).map((b) => b.ast()); },
  Branch_when(_kw, key, stmts) { return { key: key.sourceString, body: stmtsOf(stmts), pos: pos(key), otherwise: false }; },
  Branch_otherwise(kw, stmts) { return { key: 'otherwise', body: stmtsOf(stmts), pos: pos(kw), otherwise: true }; },
  If(_if, cond, stmts, elseIfs, elsePart, _end) {
    const arms = [{ cond: cond.ast() as Expr, body: stmtsOf(stmts) }, ...many(elseIfs).map((e) => e.ast() as { cond: Expr; body: Stmt[] })];
    const e = opt(elsePart);
    return { kind: 'if', arms, elseBody: e === undefined ? null : e.ast() as Stmt[], pos: pos(this) } satisfies Stmt;
  },
  ElseIf(_else, _if, cond, stmts) { return { cond: cond.ast() as Expr, body: stmtsOf(stmts) }; },
  Else(_else, stmts) { return stmtsOf(stmts); },
  Set(_kw, slot, _eq, value) { return { kind: 'set', slot: nameOf(slot), value: value.ast() as Expr, pos: pos(this) } satisfies Stmt; },
  Do(_kw, action, args) { return { kind: 'do', action: nameOf(action), args: argsOf(args), pos: pos(this) } satisfies Stmt; },
  Args(_kw, args) { return list(args).map((a) => a.ast() as Arg); },
  Arg(name, _eq, value) { return { name: name.sourceString, value: value.ast() as Expr, pos: pos(name) } satisfies Arg; },
  Remind(_kw, _in, d, args) { return { kind: 'remind', after: d.ast() as DurationNode, args: argsOf(args), pos: pos(this) } satisfies Stmt; },
  Emit(_kw, event, args) { return { kind: 'emit', event: nameOf(event), args: argsOf(args), pos: pos(this) } satisfies Stmt; },
  Wait(_kw, d) { return { kind: 'wait', duration: d.ast() as DurationNode, pos: pos(this) } satisfies Stmt; },
  CallStmt(_kw, wf, args) { return { kind: 'call', workflow: nameOf(wf), args: argsOf(args), pos: pos(this) } satisfies Stmt; },
  EndStmt(_end, _conv) { return { kind: 'end', pos: pos(this) } satisfies Stmt; },
  Duration(n, unit) { return { amount: Number(n.sourceString), unit: unit.sourceString, pos: pos(this) } satisfies DurationNode; },
  Expr_or(l, _kw, r) { return bin('or', l, r, this); },
  AndExpr_and(l, _kw, r) { return bin('and', l, r, this); },
  NotExpr_not(_kw, e) { return { kind: 'not', operand: e.ast() as Expr, pos: pos(this) } satisfies Expr; },
  CmpExpr_isnot(l, _is, _not, r) { return bin('!=', l, r, this); },
  CmpExpr_is(l, _is, r) { return bin('=', l, r, this); },
  CmpExpr_cmp(l, op, r) { return bin(op.sourceString as BinOp, l, r, this); },
  AddExpr_bin(l, op, r) { return bin(op.sourceString as '+' | '-', l, r, this); },
  Primary_paren(_o, e, _c) { return e.ast(); },
  Primary_call(fn, _o, args, _c) { return { kind: 'call', fn: fn.sourceString, args: list(args).map((a) => a.ast() as Expr), pos: pos(this) } satisfies Expr; },
  Primary_percent(p) { return { kind: 'percent', value: Number(p.sourceString.slice(0, -1)) / 100, pos: pos(this) } satisfies Expr; },
  Primary_time(t) { return { kind: 'time', value: t.sourceString.padStart(5, '0'), pos: pos(this) } satisfies Expr; },
  Primary_duration(n, unit) {
    return { kind: 'duration', duration: { amount: Number(n.sourceString), unit: unit.sourceString, pos: pos(this) }, pos: pos(this) } satisfies Expr;
  },
  Primary_number(n) { return { kind: 'num', value: Number(n.sourceString), pos: pos(this) } satisfies Expr; },
  Primary_string(s) { return { kind: 'str', value: s.ast() as string, pos: pos(this) } satisfies Expr; },
  Primary_yes(_kw) { return { kind: 'answer', value: 'yes', pos: pos(this) } satisfies Expr; },
  Primary_no(_kw) { return { kind: 'answer', value: 'no', pos: pos(this) } satisfies Expr; },
  Primary_true(_kw) { return { kind: 'bool', value: true, pos: pos(this) } satisfies Expr; },
  Primary_false(_kw) { return { kind: 'bool', value: false, pos: pos(this) } satisfies Expr; },
  Primary_field(scope, _dot, name) { return { kind: 'field', scope: scope.sourceString, name: name.sourceString, pos: pos(this) } satisfies Expr; },
  Primary_ref(name) { return { kind: 'ref', name: name.sourceString, pos: pos(this) } satisfies Expr; },
  string(_o, _chars, _c) { return unquote(this.sourceString); },
});
return semantics;
}

function nameOf(node: ohm.Node): Name { return { name: node.sourceString, pos: pos(node) }; }
function stmtsOf(node: ohm.Node): Stmt[] { return many(node).map((s) => s.ast() as Stmt); }
function paramsOf(node: ohm.Node): Name[] { const p = opt(node); return p === undefined ? [] : p.ast() as Name[]; }
function argsOf(node: ohm.Node): Arg[] { const a = opt(node); return a === undefined ? [] : a.ast() as Arg[]; }
function bin(op: BinOp, l: ohm.Node, r: ohm.Node, self: ohm.Node): Expr {
  return { kind: 'bin', op, left: l.ast() as Expr, right: r.ast() as Expr, pos: pos(self) };
}

/** The opening quote of a text left unclosed on its line: Ohm alone would only say "expected a quoted text". */
function unterminatedString(source: string): Pos | null {
  const lines = source.split('\n');
  for (const [i, line] of lines.entries()) {
    let open = -1;
    for (let c = 0; c < line.length; c += 1) {
      const ch = line[c];
      if (open < 0 && ch === '#') break;
      if (open >= 0 && ch === '\\') { c += 1; continue; }
      if (ch === '"') open = open < 0 ? c : -1;
    }
    if (open >= 0) return { line: i + 1, column: open + 1 };
  }
  return null;
}

/** Source text → AST, or one WF_SYNTAX problem at the furthest point the parser reached. */
export function parseWorkflow(source: string): ParseResult {
  const { grammar, semantics } = parser();
  const match = grammar.match(source);
  if (match.failed()) {
    const open = unterminatedString(source);
    if (open !== null) return { ok: false, problems: [problem('WF_SYNTAX', open, 'syntax error: this text has no closing "')] };
    const at = lineColumn(source, match.getRightmostFailurePosition());
    return { ok: false, problems: [problem('WF_SYNTAX', at, `syntax error: expected ${match.getExpectedText()}`)] };
  }
  return { ok: true, ast: (semantics(match) as unknown as { ast(): WorkflowAst }).ast() };
}
