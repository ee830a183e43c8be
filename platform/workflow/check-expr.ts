import type { Expr } from './ast.js';
import { RISK_VALUES, type ValueType } from './catalog.js';
import { DURATION_UNITS, durationMs, FUNCTIONS } from './functions.js';
import { problem, type Problem } from './problems.js';

/** Names every expression may use: the clock and the conversation's language. */
export const BUILTIN_TYPES: Record<string, ValueType> = {
  now: 'date', time_of_day: 'time', weekday: 'string', language: 'string', today: 'string',
  // What the patient's last message named (NLU entities): '' when it named none.
  said_medication: 'string', said_datetime: 'date', said_service: 'string',
  // The care-plan id of the medication the message named (what actions carry: names stay out of plain records).
  said_medication_id: 'string',
  // Risk levels as bare words (`if risk is high`); 'unknown' stays a quoted value.
  ...Object.fromEntries(RISK_VALUES.filter((v) => v !== 'unknown').map((v) => [v, 'string' as const])),
};

/** Bare words that evaluate to themselves. */
export const SYMBOLS: ReadonlySet<string> = new Set(RISK_VALUES.filter((v) => v !== 'unknown'));

export interface ExprScope {
  typeOf(name: string): ValueType | undefined;
  profileType(name: string): ValueType | undefined;
  /** The closed set of values of a profile field the expression names (not a slot of the same name). */
  profileValues(e: Expr): readonly string[] | undefined;
  report(p: Problem): void;
}

/** The literal an expression stands for when compared with a closed-valued field: a string or a bare word. */
function literalOf(e: Expr): string | undefined {
  if (e.kind === 'str') return e.value;
  if (e.kind === 'ref' && SYMBOLS.has(e.name)) return e.name;
  return undefined;
}

/** `risk is hihg`, `segment is "evening responder"`: a value the field never takes. */
function checkClosedValue(e: Extract<Expr, { kind: 'bin' }>, scope: ExprScope): void {
  for (const [field, other] of [[e.left, e.right], [e.right, e.left]] as const) {
    const values = scope.profileValues(field);
    const v = literalOf(other);
    if (values === undefined || v === undefined) continue;
    if (!values.some((x) => x.toLowerCase() === v.toLowerCase())) {
      const name = field.kind === 'ref' || field.kind === 'field' ? field.name : 'the field';
      scope.report(problem('WF_BAD_VALUE', other.pos, `"${v}" is not a value of ${name} (${values.map((x) => `"${x}"`).join(', ')})`));
    }
  }
}

const ORDERED: ReadonlySet<ValueType> = new Set(['number', 'date', 'time', 'duration']);

/** May `a = b` ever be true? Unknown types (signal attributes, untyped fields) never mismatch. */
function comparable(a: ValueType, b: ValueType): boolean {
  if (a === b || a === 'unknown' || b === 'unknown') return true;
  const pair = new Set([a, b]);
  return (pair.has('answer') && (pair.has('string') || pair.has('boolean')));
}

function arithmetic(op: '+' | '-', a: ValueType, b: ValueType): ValueType | null {
  if (a === 'unknown' || b === 'unknown') return 'unknown';
  if (a === 'number' && b === 'number') return 'number';
  if (a === 'duration' && b === 'duration') return 'duration';
  if (a === 'date' && b === 'duration') return 'date';
  if (op === '+' && a === 'duration' && b === 'date') return 'date';
  if (op === '-' && a === 'date' && b === 'date') return 'duration';
  return null;
}

function mismatch(scope: ExprScope, e: Expr, message: string): ValueType {
  scope.report(problem('WF_TYPE_MISMATCH', e.pos, message));
  return 'unknown';
}

function binType(e: Extract<Expr, { kind: 'bin' }>, scope: ExprScope): ValueType {
  const l = typeOfExpr(e.left, scope);
  const r = typeOfExpr(e.right, scope);
  switch (e.op) {
    case 'and': case 'or':
      if (![l, r].every((t) => t === 'boolean' || t === 'unknown')) return mismatch(scope, e, `"${e.op}" joins conditions, got ${l} and ${r}`);
      return 'boolean';
    case '=': case '!=':
      if (!comparable(l, r)) return mismatch(scope, e, `cannot compare ${l} with ${r}`);
      checkClosedValue(e, scope);
      return 'boolean';
    case '<': case '<=': case '>': case '>=':
      if (!comparable(l, r) || ![l, r].every((t) => t === 'unknown' || ORDERED.has(t))) return mismatch(scope, e, `cannot order ${l} against ${r}`);
      return 'boolean';
    case '+': case '-':
      return arithmetic(e.op, l, r) ?? mismatch(scope, e, `cannot apply "${e.op}" to ${l} and ${r}`);
  }
}

function callType(e: Extract<Expr, { kind: 'call' }>, scope: ExprScope): ValueType {
  const fn = FUNCTIONS[e.fn];
  const args = e.args.map((a) => typeOfExpr(a, scope));
  if (fn === undefined) {
    scope.report(problem('WF_UNKNOWN_FUNCTION', e.pos, `unknown function "${e.fn}" (allowed: ${Object.keys(FUNCTIONS).join(', ')})`));
    return 'unknown';
  }
  if (args.length !== fn.params.length) return mismatch(scope, e, `${e.fn} takes ${fn.params.length} argument(s), got ${args.length}`);
  args.forEach((t, i) => {
    const allowed = fn.params[i] ?? [];
    const ok = t === 'unknown' || allowed.includes(t) || (allowed.length === 1 && allowed[0] === 'unknown');
    if (!ok) mismatch(scope, e.args[i] ?? e, `${e.fn} does not take a ${t}`);
  });
  return fn.returns;
}

/** The static type of an expression; reports unknown names, functions, bad units and mismatches. */
export function typeOfExpr(e: Expr, scope: ExprScope): ValueType {
  switch (e.kind) {
    case 'num': case 'percent': return 'number';
    case 'str': return 'string';
    case 'bool': return 'boolean';
    case 'answer': return 'answer';
    case 'time': return validTime(e.value) ? 'time' : (scope.report(problem('WF_BAD_VALUE', e.pos, `"${e.value}" is not a time of day (00:00-23:59)`)), 'time');
    case 'duration':
      if (durationMs(e.duration.amount, e.duration.unit) === null) scope.report(problem('WF_BAD_DURATION', e.pos, `unknown unit "${e.duration.unit}" (use ${DURATION_UNITS.join(', ')})`));
      return 'duration';
    case 'ref': {
      const t = scope.typeOf(e.name);
      if (t === undefined) { scope.report(problem('WF_UNDEFINED_VARIABLE', e.pos, `"${e.name}" is not a slot, profile field or variable`)); return 'unknown'; }
      return t;
    }
    case 'field': {
      const t = e.scope === 'profile' ? scope.profileType(e.name) : undefined;
      if (t === undefined) { scope.report(problem('WF_UNDEFINED_VARIABLE', e.pos, `"${e.scope}.${e.name}" is not a profile field`)); return 'unknown'; }
      return t;
    }
    case 'call': return callType(e, scope);
    case 'not': {
      const t = typeOfExpr(e.operand, scope);
      return t === 'boolean' || t === 'unknown' ? 'boolean' : mismatch(scope, e, `"not" needs a condition, got ${t}`);
    }
    case 'bin': return binType(e, scope);
  }
}

export function validTime(hhmm: string): boolean {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  return m !== null && Number(m[1]) < 24 && Number(m[2]) < 60;
}
