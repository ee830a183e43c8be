import type { BinOp } from './ast.js';
import type { Value } from './functions.js';

/** Bumped whenever the compiled shape changes; the runtime refuses formats it does not know. */
export const COMPILED_FORMAT = 'careloop-workflow/1';

/** An expression as the runtime evaluates it: durations in ms, percentages as fractions. */
export type CExpr =
  | { k: 'lit'; v: Value }
  | { k: 'ref'; name: string }
  | { k: 'profile'; name: string }
  | { k: 'call'; fn: string; args: CExpr[] }
  | { k: 'not'; e: CExpr }
  | { k: 'bin'; op: BinOp; l: CExpr; r: CExpr };

export interface CArg { name: string; value: CExpr }

/** The step a branch goes to; null = the end of the block (return to the caller, or finish). */
export type Target = string | null;

export type CAnswer =
  | { type: 'yes_no' | 'date' | 'text' }
  | { type: 'number'; min: number | null; max: number | null }
  | { type: 'choice'; options: Array<{ key: string; text: string }> };

/** A `say`'s reward for the variant bandit (absent: the patient replied within four hours). */
export interface CReward { kind: 'replied' | 'confirmed' | 'booked'; withinMs: number }

export type CStep = { line: number } & (
  | { op: 'say'; text: string; next: Target; reward?: CReward }
  | {
    op: 'ask'; slot: string | null; text: string; answer: CAnswer; retries: number; reprompt: string | null; timeoutMs: number | null;
    /** Every answer key ('yes', an option, 'answer' for typed answers, 'timeout', 'otherwise') → where it goes; END_STEP = end the conversation. */
    branches: Record<string, Target>;
  }
  | { op: 'if'; arms: Array<{ cond: CExpr; then: Target }>; else: Target }
  | { op: 'set'; slot: string; value: CExpr; next: Target }
  | { op: 'action'; type: string; attributes: CArg[]; next: Target }
  | { op: 'remind'; afterMs: number; attributes: CArg[]; next: Target }
  | { op: 'wait'; ms: number; next: Target }
  | { op: 'call'; workflow: string; args: CArg[]; next: Target }
  | { op: 'end' }
);

export const END_STEP = 'end';

export type CTrigger = { id: string; entry: Target; line: number } & (
  | { kind: 'intent'; intents: string[]; anytime: boolean }
  | { kind: 'signal'; signal: string; params: string[] }
  | { kind: 'daily'; time: string | null; field: string | null }
  | { kind: 'relative'; offsetMs: number; field: string }
  | { kind: 'call'; params: string[] }
);

/** Plain JSON: travels on config.workflows and is stored as jsonb; checksum() identifies it. */
export interface CompiledWorkflow {
  format: typeof COMPILED_FORMAT;
  name: string;
  version: number;
  languages: string[];
  triggers: CTrigger[];
  steps: Record<string, CStep>;
  /** Text id → language → variants. Ids starting with "~" are inline texts of one step. */
  texts: Record<string, Record<string, string[]>>;
}
