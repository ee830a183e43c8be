/** The parsed workflow: every node keeps the line and column (1-based) it starts at. */
export interface Pos { line: number; column: number }
export interface Name { name: string; pos: Pos }

/** Wording: a named text/template (`ref`) or inline strings per language (`lang: null` = the workflow's first language). */
export type TextRef =
  | { kind: 'ref'; id: string; pos: Pos }
  | { kind: 'inline'; parts: Array<{ lang: string | null; variants: string[]; pos: Pos }>; pos: Pos };

export interface DurationNode { amount: number; unit: string; pos: Pos }
/** What counts as success for a `say` with variants: the patient replied, confirmed a dose taken, or booked, within the duration. */
export interface RewardNode { kind: 'replied' | 'confirmed' | 'booked'; within: DurationNode; pos: Pos }

export type Expr =
  | { kind: 'num'; value: number; pos: Pos }
  | { kind: 'percent'; value: number; pos: Pos }
  | { kind: 'duration'; duration: DurationNode; pos: Pos }
  | { kind: 'time'; value: string; pos: Pos }
  | { kind: 'str'; value: string; pos: Pos }
  | { kind: 'bool'; value: boolean; pos: Pos }
  | { kind: 'answer'; value: 'yes' | 'no'; pos: Pos }
  | { kind: 'ref'; name: string; pos: Pos }
  | { kind: 'field'; scope: string; name: string; pos: Pos }
  | { kind: 'call'; fn: string; args: Expr[]; pos: Pos }
  | { kind: 'not'; operand: Expr; pos: Pos }
  | { kind: 'bin'; op: BinOp; left: Expr; right: Expr; pos: Pos };

export type BinOp = 'or' | 'and' | '=' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-';

export interface Arg { name: string; value: Expr; pos: Pos }

export type AnswerSpec =
  | { type: 'yes_no' | 'date' | 'text' }
  | { type: 'number'; min: number | null; max: number | null }
  | { type: 'choice'; options: Array<{ key: string; label: TextRef; pos: Pos }> };

export interface Branch { key: string; body: Stmt[]; pos: Pos }

export type Stmt =
  | { kind: 'say'; text: TextRef; reward: RewardNode | null; pos: Pos }
  | {
    kind: 'ask'; slot: Name | null; question: TextRef; answer: AnswerSpec; retries: { value: number; pos: Pos } | null;
    reprompt: TextRef | null; timeout: DurationNode | null; branches: Branch[]; otherwise: Branch | null; endPos: Pos | null; pos: Pos;
  }
  | { kind: 'if'; arms: Array<{ cond: Expr; body: Stmt[] }>; elseBody: Stmt[] | null; pos: Pos }
  | { kind: 'set'; slot: Name; value: Expr; pos: Pos }
  | { kind: 'do'; action: Name; args: Arg[]; pos: Pos }
  | { kind: 'remind'; after: DurationNode; args: Arg[]; pos: Pos }
  | { kind: 'emit'; event: Name; args: Arg[]; pos: Pos }
  | { kind: 'wait'; duration: DurationNode; pos: Pos }
  | { kind: 'call'; workflow: Name; args: Arg[]; pos: Pos }
  | { kind: 'end'; pos: Pos };

export type AskStmt = Extract<Stmt, { kind: 'ask' }>;

export type Trigger =
  | { kind: 'intent'; intents: Name[]; anytime: boolean; pos: Pos }
  | { kind: 'signal'; signal: Name; params: Name[]; pos: Pos }
  | { kind: 'schedule'; schedule: Schedule; pos: Pos }
  | { kind: 'call'; params: Name[]; pos: Pos };

export type Schedule =
  | { kind: 'daily'; at: { kind: 'time'; value: string; pos: Pos } | { kind: 'ref'; name: string; pos: Pos } }
  | { kind: 'relative'; offset: DurationNode; direction: 'before' | 'after'; anchor: Name };

export interface Handler { trigger: Trigger; body: Stmt[]; pos: Pos }
export interface TextDecl { id: Name; parts: Array<{ lang: string; variants: string[]; pos: Pos }>; pos: Pos }

export interface WorkflowAst {
  name: string;
  version: number;
  languages: Name[];
  texts: TextDecl[];
  handlers: Handler[];
  pos: Pos;
}
