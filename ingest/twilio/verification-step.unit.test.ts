import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyUnverified, parseBirthDate, promptText } from './verification-step.js';

test('an unverified number\'s text: a birth date, a code, a code request, a keyword, or anything else', () => {
  assert.deepEqual(classifyUnverified('1958-03-14'), { kind: 'birth_date', birthDate: '1958-03-14' });
  assert.deepEqual(classifyUnverified(' 3/14/1958 '), { kind: 'birth_date', birthDate: '1958-03-14' });
  assert.deepEqual(classifyUnverified('123 456'), { kind: 'code', code: '123456' });
  assert.deepEqual(classifyUnverified('code'), { kind: 'request_code' });
  assert.deepEqual(classifyUnverified('STOP'), { kind: 'keyword', keyword: 'stop' });
  assert.deepEqual(classifyUnverified('did I take my Metformin?'), { kind: 'other' });
});

test('impossible dates are not dates', () => {
  assert.equal(parseBirthDate('1958-02-30'), null);
  assert.equal(parseBirthDate('13/01/1958'), null);
});

test('the prompts name the organisation and no one else', () => {
  assert.match(promptText('ask', 'Sunrise Clinic'), /^Sunrise Clinic: .*date of birth/);
  assert.match(promptText('failed', 'Sunrise Clinic', { remaining: 2 }), /2 attempts left/);
});
