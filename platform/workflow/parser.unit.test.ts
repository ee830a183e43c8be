import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseWorkflow } from './parser.js';

const SOURCE = `workflow "Refill" version 3
languages en, es
# a comment
on signal refill_due with medication
  say "Due: {medication}" | "Refill {medication}" es: "Toca {medication}"
  ask ok: "Ready?" es: "¿Listo?" as yes_no
    retries 1
  when yes
    do notify_pharmacy with medication = medication
  when no
    remind in 1 day
  end
  if adherence_30d < 80% and not (segment = "new") or days_until(x) >= 3
    end conversation
  end
end
`;

describe('parseWorkflow', () => {
  test('builds the AST with header, triggers, statements and positions', () => {
    const r = parseWorkflow(SOURCE);
    assert.ok(r.ok);
    const { ast } = r;
    assert.equal(ast.name, 'Refill');
    assert.equal(ast.version, 3);
    assert.deepEqual(ast.languages.map((l) => l.name), ['en', 'es']);
    const h = ast.handlers[0];
    assert.ok(h !== undefined && h.trigger.kind === 'signal');
    assert.deepEqual(h.trigger.params.map((p) => p.name), ['medication']);
    assert.deepEqual(h.body.map((s) => s.kind), ['say', 'ask', 'if']);
    const say = h.body[0];
    assert.ok(say?.kind === 'say' && say.text.kind === 'inline');
    assert.deepEqual(say.text.parts.map((p) => [p.lang, p.variants.length]), [[null, 2], ['es', 1]]);
    assert.deepEqual(say.pos, { line: 5, column: 3 });
    const ask = h.body[1];
    assert.ok(ask?.kind === 'ask');
    assert.equal(ask.slot?.name, 'ok');
    assert.equal(ask.retries?.value, 1);
    assert.deepEqual(ask.branches.map((b) => [b.key, b.pos.line]), [['yes', 8], ['no', 10]]);
  });

  test('reads expressions with precedence: or < and < not < comparison', () => {
    const r = parseWorkflow(SOURCE);
    assert.ok(r.ok);
    const cond = r.ast.handlers[0]?.body[2];
    assert.ok(cond?.kind === 'if');
    const e = cond.arms[0]?.cond;
    assert.ok(e?.kind === 'bin' && e.op === 'or');
    assert.ok(e.left.kind === 'bin' && e.left.op === 'and');
    assert.ok(e.left.left.kind === 'bin' && e.left.left.op === '<' && e.left.left.right.kind === 'percent');
    assert.equal(e.left.left.right.value, 0.8);
    assert.equal(e.left.right.kind, 'not');
  });

  test('keywords are whole words: "order" is a name, not "or"', () => {
    const r = parseWorkflow('workflow "x" version 1\non intent help\n  if order = 1 or notes = 2\n    say "a"\n  end\nend\n');
    assert.ok(r.ok);
    const s = r.ast.handlers[0]?.body[0];
    assert.ok(s?.kind === 'if' && s.arms[0]?.cond.kind === 'bin' && s.arms[0].cond.op === 'or');
  });

  test('an unclosed text is WF_SYNTAX at its opening quote', () => {
    const r = parseWorkflow('workflow "x" version 1\non intent help\n  say "hi\nend\n');
    assert.ok(!r.ok);
    assert.deepEqual(r.problems.map((p) => [p.code, p.line, p.column]), [['WF_SYNTAX', 3, 7]]);
    assert.match(r.problems[0]?.message ?? '', /no closing/);
  });

  test('a block left open is reported where the input ends', () => {
    const r = parseWorkflow('workflow "x" version 1\non intent help\n  say "hi"\n');
    assert.ok(!r.ok);
    assert.equal(r.problems[0]?.line, 4);
    assert.match(r.problems[0]?.message ?? '', /"end"/);
  });

  test('a keyword used as a name is a syntax error at the keyword', () => {
    const r = parseWorkflow('workflow "x" version 1\non intent help\n  do emit\nend\n');
    assert.ok(!r.ok);
    assert.deepEqual([r.problems[0]?.line, r.problems[0]?.column], [3, 6]);
  });
});
