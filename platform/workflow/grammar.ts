/**
 * The workflow language's grammar (Ohm). Inlined as a string so the compiled code in dist/ needs no
 * file from the source tree. Blocks close with `end`; newlines are whitespace, so a statement may
 * wrap; keywords are whole words (`kw<"or">` never matches the start of `order`).
 */
export const GRAMMAR_SOURCE = String.raw`
Careloop {
  Program = Header Decl* end

  Header = kw<"workflow"> string kw<"version"> int LangList?
  LangList = kw<"languages"> NonemptyListOf<lang, ",">

  Decl = TextDecl | Handler
  TextDecl = kw<"text"> ident Translation+ kw<"end">
  Handler = kw<"on"> Trigger Stmt* kw<"end">

  Trigger = kw<"intent"> NonemptyListOf<ident, ","> kw<"anytime">?  -- intent
          | kw<"signal"> ident Params?                                -- signal
          | kw<"schedule"> Schedule                                   -- schedule
          | kw<"call"> Params?                                        -- call
  Params = kw<"with"> NonemptyListOf<ident, ",">
  Schedule = kw<"every"> kw<"day"> kw<"at"> TimeOf  -- daily
           | Duration BeforeAfter ident               -- relative
  BeforeAfter = kw<"before"> | kw<"after">
  TimeOf = time | ident

  Stmt = Say | Ask | If | Set | Do | Remind | Emit | Wait | CallStmt | EndStmt
  Say = kw<"say"> TextRef Reward?
  Reward = kw<"reward"> rewardKind kw<"within"> Duration
  rewardKind = ("replied" | "confirmed" | "booked") ~idchar
  TextRef = Inline | ident
  Inline = Variants Translation*
  Variants = NonemptyListOf<string, "|">
  Translation = lang ":" Variants

  Ask = kw<"ask"> SlotName? TextRef kw<"as"> Answer AskOpt* Branches?
  SlotName = ident ":"
  Answer = kw<"yes_no">                 -- yesno
         | kw<"number"> Range?          -- number
         | kw<"date">                   -- date
         | kw<"text">                   -- text
         | kw<"choice"> ChoiceOption+   -- choice
  Range = kw<"between"> signed kw<"and"> signed
  ChoiceOption = kw<"option"> ident TextRef
  AskOpt = kw<"retries"> int          -- retries
         | kw<"reprompt"> TextRef     -- reprompt
         | kw<"timeout"> Duration     -- timeout
  Branches = Branch+ kw<"end">
  Branch = kw<"when"> BranchKey Stmt*   -- when
         | kw<"otherwise"> Stmt*        -- otherwise
  BranchKey = kw<"yes"> | kw<"no"> | kw<"timeout"> | ident

  If = kw<"if"> Expr Stmt* ElseIf* Else? kw<"end">
  ElseIf = kw<"else"> kw<"if"> Expr Stmt*
  Else = kw<"else"> Stmt*
  Set = kw<"set"> ident "=" Expr
  Do = kw<"do"> ident Args?
  Args = kw<"with"> NonemptyListOf<Arg, ",">
  Arg = ident "=" Expr
  Remind = kw<"remind"> kw<"in"> Duration Args?
  Emit = kw<"emit"> ident Args?
  Wait = kw<"wait"> Duration
  CallStmt = kw<"call"> ident Args?
  EndStmt = kw<"end"> kw<"conversation">
  Duration = num unit

  Expr = Expr kw<"or"> AndExpr  -- or
       | AndExpr
  AndExpr = AndExpr kw<"and"> NotExpr  -- and
          | NotExpr
  NotExpr = kw<"not"> NotExpr  -- not
          | CmpExpr
  CmpExpr = AddExpr kw<"is"> kw<"not"> AddExpr  -- isnot
          | AddExpr kw<"is"> AddExpr             -- is
          | AddExpr cmpOp AddExpr                -- cmp
          | AddExpr
  cmpOp = "<=" | ">=" | "!=" | "<" | ">" | "="
  AddExpr = AddExpr addOp Primary  -- bin
          | Primary
  addOp = "+" | "-"
  Primary = "(" Expr ")"                       -- paren
          | ident "(" ListOf<Expr, ","> ")"    -- call
          | percent                            -- percent
          | time                               -- time
          | num durUnit                        -- duration
          | num                                -- number
          | string                             -- string
          | kw<"yes">                          -- yes
          | kw<"no">                           -- no
          | kw<"true">                         -- true
          | kw<"false">                        -- false
          | ident "." ident                    -- field
          | ident                              -- ref

  kw<word> = word ~idchar
  keyword = ("workflow" | "version" | "languages" | "text" | "on" | "end" | "say" | "ask" | "as"
          | "when" | "otherwise" | "option" | "retries" | "reprompt" | "timeout" | "if" | "else"
          | "set" | "do" | "remind" | "emit" | "wait" | "call" | "with" | "and" | "or" | "not"
          | "is" | "yes" | "no" | "true" | "false" | "anytime" | "in") ~idchar
  idchar = alnum | "_"
  ident (a name) = ~keyword (letter | "_") idchar*
  lang (a language code) = lower lower ~idchar
  unit (a unit such as days) = ~keyword letter+
  durUnit = ("minutes" | "minute" | "hours" | "hour" | "days" | "day" | "weeks" | "week") ~idchar
  int (a whole number) = digit+
  num (a number) = digit+ ("." digit+)?
  signed = "-"? num
  percent = num "%"
  time (a time such as 09:00) = digit digit? ":" digit digit ~digit
  string (a quoted text) = "\"" strChar* "\""
  strChar = "\\" any  -- escaped
          | ~("\"" | "\\" | "\n") any  -- plain
  comment = "#" (~"\n" any)*
  space += comment
}
`;
