import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultCatalog, type Catalog } from './catalog.js';
import { checkWorkflow } from './checker.js';
import { compileWorkflow } from './compiler.js';
import { parseWorkflow } from './parser.js';
import type { Problem } from './problems.js';

const HEADER = 'workflow "t" version 1\nlanguages en, es\n';

function catalog(): Catalog {
  return { ...defaultCatalog(['en', 'es']), templates: { greeting: { en: ['Hi {org}'], es: ['Hola {org}'] }, en_only: { en: ['Hi'] } }, subworkflows: ['verify'] };
}

/** Problems of `body` (placed after a two-line header, so body line 1 is line 3). */
function problemsOf(body: string, cat: Catalog = catalog()): Problem[] {
  const r = parseWorkflow(HEADER + body);
  if (!r.ok) return r.problems;
  return checkWorkflow(r.ast, cat);
}

function only(body: string): Array<[string, number, number]> {
  return problemsOf(body).filter((p) => p.severity === 'error').map((p) => [p.code, p.line, p.column]);
}

describe('checkWorkflow: each mistake has its code, line and column', () => {
  test('WF_SYNTAX', () => {
    assert.deepEqual(only('on intent help\n  say "a" "b"\nend\n'), [['WF_SYNTAX', 4, 11]]);
  });
  test('WF_UNKNOWN_INTENT', () => {
    assert.deepEqual(only('on intent help, refil\n  say greeting\nend\n'), [['WF_UNKNOWN_INTENT', 3, 17]]);
  });
  test('WF_UNKNOWN_SIGNAL', () => {
    assert.deepEqual(only('on signal refil_due\n  say greeting\nend\n'), [['WF_UNKNOWN_SIGNAL', 3, 11]]);
  });
  test('WF_UNKNOWN_ACTION', () => {
    assert.deepEqual(only('on intent help\n  do book_apointment\nend\n'), [['WF_UNKNOWN_ACTION', 4, 6]]);
  });
  test('WF_UNKNOWN_TEMPLATE', () => {
    assert.deepEqual(only('on intent help\n  say greting\nend\n'), [['WF_UNKNOWN_TEMPLATE', 4, 7]]);
  });
  test('WF_UNDEFINED_VARIABLE in an expression and in a text', () => {
    assert.deepEqual(only('on intent help\n  if pharmcy = "x"\n    say "a {nme}" es: "b"\n  end\nend\n'), [['WF_UNDEFINED_VARIABLE', 4, 6], ['WF_UNDEFINED_VARIABLE', 5, 9]]);
  });
  test('WF_UNREACHABLE after end conversation, and on an intent the safety layer answers', () => {
    assert.deepEqual(only('on intent help\n  end conversation\n  say greeting\nend\non intent emergency\n  say greeting\nend\n'), [['WF_UNREACHABLE', 5, 3], ['WF_UNREACHABLE', 7, 11]]);
  });
  test('WF_UNREACHABLE after an if whose every branch ends', () => {
    assert.deepEqual(only('on intent help\n  if verified\n    end conversation\n  else\n    end conversation\n  end\n  say greeting\nend\n'), [['WF_UNREACHABLE', 9, 3]]);
  });
  test('WF_UNHANDLED_ANSWER: a missing branch, and an answer that goes nowhere', () => {
    assert.deepEqual(only('on intent help\n  ask "Ok?" es: "¿Ok?" as yes_no\n  when yes\n    say greeting\n  end\n  ask "Ok?" es: "¿Ok?" as yes_no\nend\n'), [['WF_UNHANDLED_ANSWER', 4, 3], ['WF_UNHANDLED_ANSWER', 8, 3]]);
  });
  test('WF_UNKNOWN_OPTION and WF_DUPLICATE_BRANCH', () => {
    const src = 'on intent help\n  ask a: "Ok?" es: "¿Ok?" as yes_no\n  when yes\n  when no\n  when maybe\n  when yes\n  end\nend\n';
    assert.deepEqual(only(src), [['WF_UNKNOWN_OPTION', 7, 8], ['WF_DUPLICATE_BRANCH', 8, 8]]);
  });
  test('WF_MISSING_TRANSLATION for inline text, a text block and a catalog template', () => {
    const src = 'text t\n  en: "a"\nend\non intent help\n  say "only english"\n  say t\n  say en_only\nend\n';
    assert.deepEqual(only(src), [['WF_MISSING_TRANSLATION', 3, 6], ['WF_MISSING_TRANSLATION', 7, 7], ['WF_MISSING_TRANSLATION', 9, 7]]);
  });
  test('WF_UNKNOWN_LANGUAGE', () => {
    assert.deepEqual(only('on intent help\n  say "a" es: "b" fr: "c"\nend\n'), [['WF_UNKNOWN_LANGUAGE', 4, 19]]);
  });
  test('WF_DUPLICATE_TRIGGER', () => {
    assert.deepEqual(only('on intent help\n  say greeting\nend\non intent thanks, help\n  say greeting\nend\n'), [['WF_DUPLICATE_TRIGGER', 6, 19]]);
  });
  test('WF_BAD_DURATION: unknown unit and zero', () => {
    assert.deepEqual(only('on intent help\n  wait 2 fortnights\n  remind in 0 days\nend\n'), [['WF_BAD_DURATION', 4, 8], ['WF_BAD_DURATION', 5, 13]]);
  });
  test('WF_UNKNOWN_SUBWORKFLOW', () => {
    assert.deepEqual(only('on intent help\n  call verify\n  call verfy\nend\n'), [['WF_UNKNOWN_SUBWORKFLOW', 5, 8]]);
  });
  test('WF_TYPE_MISMATCH: number against text, a non-condition, ordering text', () => {
    const src = 'on intent help\n  if adherence_30d = "high"\n  end\n  if streak_days\n  end\n  if segment < 3\n  end\nend\n';
    assert.deepEqual(only(src), [['WF_TYPE_MISMATCH', 4, 6], ['WF_TYPE_MISMATCH', 6, 6], ['WF_TYPE_MISMATCH', 8, 6]]);
  });
  test('WF_UNKNOWN_FUNCTION: only whitelisted functions', () => {
    assert.deepEqual(only('on intent help\n  if eval("1")\n  end\nend\n'), [['WF_UNKNOWN_FUNCTION', 4, 6]]);
  });
  test('WF_BAD_VALUE: retries, an empty range, a time of day', () => {
    const src = 'on intent help\n  ask n: "N?" es: "¿N?" as number between 10 and 1 retries 99\nend\non schedule every day at 25:00\nend\n';
    assert.deepEqual(only(src), [['WF_BAD_VALUE', 4, 3], ['WF_BAD_VALUE', 4, 60], ['WF_BAD_VALUE', 6, 26]]);
  });
  test('WF_NO_TRIGGER', () => {
    assert.deepEqual(only(''), [['WF_NO_TRIGGER', 1, 1]]);
  });
  test('WF_UNUSED_TEXT is a warning and does not block compilation', () => {
    const src = `${HEADER}text spare\n  en: "a"\n  es: "b"\nend\non intent help\n  say greeting\nend\n`;
    const r = compileWorkflow(src, catalog());
    assert.ok(r.ok);
    assert.deepEqual(r.warnings.map((p) => [p.code, p.severity, p.line]), [['WF_UNUSED_TEXT', 'warning', 3]]);
  });
  test('WF_DOSING_ADVICE: a say that changes a dose, in any variant or language, blocks publishing', () => {
    assert.deepEqual(only('on intent help\n  say "Time for your pill" | "Take two tablets tonight" es: "Es hora"\nend\n'), [['WF_DOSING_ADVICE', 4, 7]]);
    assert.deepEqual(only('on intent help\n  say "Ok" es: "Deje de tomar la metformina"\nend\n'), [['WF_DOSING_ADVICE', 4, 12]]);
    const decl = `text advice\n  en: "You can double your dose"\n  es: "Puede tomar el doble"\nend\non intent help\n  say advice\nend\n`;
    assert.deepEqual(only(decl), [['WF_DOSING_ADVICE', 4, 3], ['WF_DOSING_ADVICE', 5, 3]]);
    const r = compileWorkflow(`${HEADER}on intent help\n  say "Skip tonight's dose" es: "Omita la dosis"\nend\n`, catalog());
    assert.ok(!r.ok);
    assert.ok(r.problems.every((p) => p.code === 'WF_DOSING_ADVICE' && p.severity === 'error'));
  });
  test('WF_DOSING_ADVICE spares the prescription quoted, warnings and questions', () => {
    assert.deepEqual(only('on intent help\n  say "Your prescription says: take 2 tablets twice a day" es: "Su receta dice: tome 2 tabletas"\nend\n'), []);
    assert.deepEqual(only('on intent help\n  say "Do not double up. Did you take your 8:00 dose?" es: "No tome dosis dobles"\nend\n'), []);
  });
  test('a correct workflow has no problems; slots, profile fields, variables and builtins are defined', () => {
    const src = 'on signal refill_due with medication\n  ask ok: "Get {medication} from {pharmacy}?" es: "¿{medication}?" as yes_no\n  when yes\n    set due = now + 2 days\n  when no\n  end\n  if ok is yes and adherence_30d >= 80% and time_of_day > 08:00 and days_until(due) < 3\n    emit x with n = 1\n  end\nend\n';
    assert.deepEqual(problemsOf(src), []);
  });
  test('nothing with an error compiles', () => {
    const r = compileWorkflow(`${HEADER}on intent help\n  do nope\nend\n`, catalog());
    assert.ok(!r.ok);
    assert.equal(r.problems[0]?.code, 'WF_UNKNOWN_ACTION');
  });
});
