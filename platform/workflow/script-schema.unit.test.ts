import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { isCareloopError } from '../errors.js';
import { ScriptSchema, parseScript } from './script-schema.js';

const good = { language: 'en', start: '2025-03-03T08:00:00Z', steps: [{ patient: 'hi' }, { signal: 'refill_due', attributes: { medication: 'x' } }, { advance: '1h' }, { expect: { reply: 'x', slot: { a: 1 } } }] };

function refused(script: unknown, message: RegExp): void {
  assert.throws(() => parseScript(script), (e: unknown) => isCareloopError(e) && e.code === 'VALIDATION_FAILED' && message.test(e.message), String(message));
  assert.equal(Value.Check(ScriptSchema, script), false, 'the API schema refuses it too');
}

test('a well-formed script passes, in the CLI reader and the API schema alike', () => {
  assert.equal(parseScript(good), good);
  assert.equal(Value.Check(ScriptSchema, good), true);
});

test('a missing language or start is named, not an INTERNAL crash', () => {
  refused({ start: good.start, steps: [] }, /script language: is required/);
  refused({ language: 'en', steps: [] }, /script start: is required/);
  refused({ language: 'fr', start: good.start, steps: [] }, /"fr"/);
});

test('a misspelt expectation is refused with the key it meant (regression: {"rply"} passed)', () => {
  refused({ ...good, steps: [{ expect: { rply: 'x' } }] }, /steps\[0\]\.expect: unknown key "rply"; did you mean "reply"/);
  refused({ ...good, steps: [{ patinet: 'hi' }] }, /steps\[0\]: needs one of .*did you mean "patient"/);
  refused({ ...good, stpes: [] }, /unknown key "stpes"; did you mean "steps"/);
  refused({ ...good, steps: [{ patient: 'a', advance: '1h' }] }, /one kind per step/);
  refused({ ...good, steps: [{ expect: { ended: 'yes' } }] }, /ended: must be true or false/);
});
