import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCareloopError } from '../../platform/errors.js';
import { parseFrame } from './frames.js';

function code(raw: string): string | undefined {
  try { parseFrame(raw); return undefined; } catch (e) { return isCareloopError(e) ? e.code : 'not a CareloopError'; }
}

test('valid message and ping frames parse', () => {
  assert.deepEqual(parseFrame('{"type":"message","id":"c-1","text":"hola 👋"}'), { type: 'message', id: 'c-1', text: 'hola 👋' });
  assert.deepEqual(parseFrame('{"type":"ping"}'), { type: 'ping' });
});

test('bad frames get stable codes', () => {
  assert.equal(code('not json'), 'BAD_FRAME');
  assert.equal(code('{"type":"message","id":"c1"}'), 'BAD_FRAME');
  assert.equal(code('{"type":"message","id":"c1","text":"hi","extra":1}'), 'BAD_FRAME', 'unknown fields are rejected');
  assert.equal(code('{"type":"shout","id":"c1","text":"hi"}'), 'BAD_FRAME');
  assert.equal(code('{"type":"message","id":"has space","text":"hi"}'), 'BAD_FRAME');
  assert.equal(code(JSON.stringify({ type: 'message', id: 'c1', text: 'x'.repeat(2001) })), 'PAYLOAD_TOO_LARGE');
  assert.equal(code(JSON.stringify({ type: 'message', id: 'c1', text: '😀'.repeat(2000) })), undefined, 'the limit counts characters, not UTF-16 units');
  assert.equal(code(JSON.stringify({ type: 'message', id: 'c1', text: '   ' })), 'VALIDATION_FAILED');
  assert.equal(code('[]'), 'BAD_FRAME');
  assert.equal(code('null'), 'BAD_FRAME');
});
