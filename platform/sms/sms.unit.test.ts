import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { carrierKeyword } from './keywords.js';
import { countSegments } from './segments.js';
import { classifyTwilioError, deliveryStateOf, retryDelay } from './twilio-errors.js';
import { resolveSecretRef } from './accounts.js';

describe('segment counting (each segment is billed)', () => {
  test('GSM-7: 160 characters in one segment, 153 per part beyond', () => {
    assert.deepEqual(countSegments('a'.repeat(160)), { encoding: 'GSM-7', units: 160, segments: 1 });
    assert.equal(countSegments('a'.repeat(161)).segments, 2);
    assert.equal(countSegments('a'.repeat(306)).segments, 2);
    assert.equal(countSegments('a'.repeat(307)).segments, 3);
  });
  test('extension characters take two septets', () => {
    assert.deepEqual(countSegments('€'.repeat(80)), { encoding: 'GSM-7', units: 160, segments: 1 });
    assert.equal(countSegments('€'.repeat(81)).segments, 2);
  });
  test('anything outside GSM-7 makes the whole text UCS-2: 70, then 67 per part', () => {
    assert.deepEqual(countSegments('¿Tomó su medicamento? ✅'), { encoding: 'UCS-2', units: 23, segments: 1 });
    assert.equal(countSegments('à'.repeat(70)).encoding, 'GSM-7'); // à is in GSM-7…
    assert.equal(countSegments('á'.repeat(70)).encoding, 'UCS-2'); // …á is not
    assert.equal(countSegments('ó'.repeat(70)).segments, 1);
    assert.equal(countSegments('ó'.repeat(71)).segments, 2);
    assert.equal(countSegments('ó'.repeat(134)).segments, 2);
    assert.equal(countSegments('ó'.repeat(135)).segments, 3);
    assert.equal(countSegments('👍'.repeat(35)).segments, 1); // an emoji is two UTF-16 units
    assert.equal(countSegments('👍'.repeat(36)).segments, 2);
  });
});

describe('Twilio errors', () => {
  test('429, 20429 and 5xx are retried; 21211, 21610 and 30003–30008 are not', () => {
    assert.equal(classifyTwilioError({ status: 429, code: 20429 }).kind, 'retry');
    assert.equal(classifyTwilioError({ status: 503, code: 20503 }).kind, 'retry');
    assert.equal(classifyTwilioError(new Error('ECONNRESET')).kind, 'retry');
    assert.deepEqual(classifyTwilioError({ status: 400, code: 21211 }), { kind: 'permanent', code: '21211', httpStatus: 400, optOut: false });
    assert.deepEqual(classifyTwilioError({ status: 400, code: 21610 }), { kind: 'permanent', code: '21610', httpStatus: 400, optOut: true });
    for (const code of [30003, 30004, 30005, 30006, 30007, 30008]) assert.equal(classifyTwilioError({ status: 400, code }).kind, 'permanent');
  });
  test('backoff doubles, is capped, and is jittered between half and all of the ceiling', () => {
    assert.equal(retryDelay(1, 1000, 60_000, () => 0), 500);
    assert.equal(retryDelay(1, 1000, 60_000, () => 1), 1000);
    assert.equal(retryDelay(4, 1000, 60_000, () => 1), 8000);
    assert.equal(retryDelay(20, 1000, 60_000, () => 1), 60_000);
  });
  test('status callbacks map onto delivery states', () => {
    assert.equal(deliveryStateOf('queued'), 'QUEUED');
    assert.equal(deliveryStateOf('sent'), 'SENT');
    assert.equal(deliveryStateOf('delivered'), 'DELIVERED');
    assert.equal(deliveryStateOf('undelivered'), 'UNDELIVERABLE');
    assert.equal(deliveryStateOf('failed'), 'FAILED');
    assert.equal(deliveryStateOf('receiving'), null);
  });
});

describe('carrier keywords', () => {
  test('HELP/INFO/AYUDA, and STOP/START from the NLU list, only as the whole message', () => {
    assert.equal(carrierKeyword(' help! '), 'help');
    assert.equal(carrierKeyword('Ayuda'), 'help');
    assert.equal(carrierKeyword('STOP'), 'stop');
    assert.equal(carrierKeyword('baja'), 'stop');
    assert.equal(carrierKeyword('Start'), 'start');
    assert.equal(carrierKeyword('can you help me'), null);
  });
});

describe('auth tokens by reference', () => {
  test('env: reads the environment; a reference to nothing is a config error naming no secret', () => {
    assert.equal(resolveSecretRef('env:TOKEN_X', { TOKEN_X: ' abc ' }), 'abc');
    assert.throws(() => resolveSecretRef('env:MISSING', {}), /resolves to nothing/);
    assert.throws(() => resolveSecretRef('file:/nonexistent/token', {}), /resolves to nothing/);
  });
});
