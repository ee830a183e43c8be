import type { CExpr } from './compiled.js';
import { asInstant, FUNCTIONS, type Value } from './functions.js';

/** A failure while running a workflow; becomes a WF_RUNTIME outcome, never escapes runWorkflow. */
export class WorkflowRuntimeError extends Error {
  constructor(message: string, readonly step: string | null = null) {
    super(message);
    this.name = 'WorkflowRuntimeError';
  }
}

export interface Env {
  now: number;
  lookup(name: string): Value;
  profile(name: string): Value;
}

const NUMERIC = /^-?\d+(\.\d+)?$/;

/** Slots hold text ("38.5", an ISO date): read them as numbers or instants when compared as such. */
function asNumber(v: Value): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && NUMERIC.test(v.trim())) return Number(v);
  return asInstant(v);
}

const word = (v: boolean | string | number): string | number => (typeof v === 'boolean' ? (v ? 'yes' : 'no') : v);

/** Equality across slot text and typed values: "38" = 38, yes = true, case-insensitive text. */
function equal(a: Value, b: Value): boolean {
  if (a === null || b === null) return a === b;
  const x = word(a);
  const y = word(b);
  if (typeof x === 'number' || typeof y === 'number') { const nx = asNumber(x); return nx !== null && nx === asNumber(y); }
  return x.toLowerCase() === y.toLowerCase();
}

/** Ordering: numbers and instants by value, times of day ("09:30") as text; missing values compare false. */
function order(op: '<' | '<=' | '>' | '>=', a: Value, b: Value): boolean {
  let x: number | string | null = asNumber(a);
  let y: number | string | null = asNumber(b);
  if (typeof a === 'string' && typeof b === 'string' && /^\d\d:\d\d$/.test(a) && /^\d\d:\d\d$/.test(b)) { x = a; y = b; }
  if (x === null || y === null) return false;
  switch (op) {
    case '<': return x < y;
    case '<=': return x <= y;
    case '>': return x > y;
    case '>=': return x >= y;
  }
}

function truthy(v: Value): boolean {
  return v === true || v === 'yes';
}

function arithmetic(op: '+' | '-', a: Value, b: Value): Value {
  const x = asNumber(a);
  const y = asNumber(b);
  if (x === null || y === null) return null;
  return op === '+' ? x + y : x - y;
}

/** Evaluates a compiled expression: no host objects, only the whitelisted functions. */
export function evaluate(e: CExpr, env: Env): Value {
  switch (e.k) {
    case 'lit': return e.v;
    case 'ref': return e.name === 'now' ? env.now : env.lookup(e.name);
    case 'profile': return env.profile(e.name);
    case 'not': return !truthy(evaluate(e.e, env));
    case 'call': {
      const fn = FUNCTIONS[e.fn];
      if (fn === undefined) throw new WorkflowRuntimeError(`unknown function ${e.fn}`);
      return fn.run(e.args.map((a) => evaluate(a, env)), env.now);
    }
    case 'bin': {
      if (e.op === 'and') return truthy(evaluate(e.l, env)) && truthy(evaluate(e.r, env));
      if (e.op === 'or') return truthy(evaluate(e.l, env)) || truthy(evaluate(e.r, env));
      const a = evaluate(e.l, env);
      const b = evaluate(e.r, env);
      switch (e.op) {
        case '=': return equal(a, b);
        case '!=': return !equal(a, b);
        case '+': case '-': return arithmetic(e.op, a, b);
        case '<': case '<=': case '>': case '>=': return order(e.op, a, b);
      }
    }
  }
}

export function isTrue(v: Value): boolean { return truthy(v); }
