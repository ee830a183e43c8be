import type { Pos } from './ast.js';

/** Stable problem codes: the admin API and CLI show them, tests and docs refer to them. */
export const PROBLEM_CODES = [
  'WF_SYNTAX', 'WF_UNKNOWN_INTENT', 'WF_UNKNOWN_SIGNAL', 'WF_UNKNOWN_ACTION', 'WF_UNKNOWN_TEMPLATE',
  'WF_UNDEFINED_VARIABLE', 'WF_UNREACHABLE', 'WF_UNHANDLED_ANSWER', 'WF_UNKNOWN_OPTION', 'WF_DUPLICATE_BRANCH',
  'WF_MISSING_TRANSLATION', 'WF_UNKNOWN_LANGUAGE', 'WF_DUPLICATE_TRIGGER', 'WF_DUPLICATE_TEXT', 'WF_BAD_DURATION',
  'WF_BAD_VALUE', 'WF_UNKNOWN_SUBWORKFLOW', 'WF_UNKNOWN_FUNCTION', 'WF_TYPE_MISMATCH', 'WF_NO_TRIGGER', 'WF_UNUSED_TEXT',
  'WF_DOSING_ADVICE',
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

export interface Problem {
  code: ProblemCode;
  severity: 'error' | 'warning';
  message: string;
  line: number;
  column: number;
}

export function problem(code: ProblemCode, pos: Pos, message: string, severity: Problem['severity'] = 'error'): Problem {
  return { code, severity, message, line: pos.line, column: pos.column };
}

export function byPosition(a: Problem, b: Problem): number {
  return a.line - b.line || a.column - b.column || a.code.localeCompare(b.code);
}

/** "3:14 WF_UNKNOWN_INTENT unknown intent "refil"" — one line per problem, for the CLI and logs. */
export function formatProblem(p: Problem): string {
  return `${p.line}:${p.column} ${p.severity} ${p.code} ${p.message}`;
}
