import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CareloopError, normalizeError, toHttpError, toWsErrorFrame } from './errors.js';

test('errors map to stable codes and statuses, and internal details never leave', () => {
  assert.deepEqual(toHttpError(new CareloopError('RATE_LIMITED', 'slow down')), { status: 429, body: { code: 'RATE_LIMITED', message: 'slow down' } });
  const internal = toHttpError(new Error('password=hunter2 at db.ts:12'));
  assert.equal(internal.status, 500);
  assert.equal(internal.body.code, 'INTERNAL');
  assert.doesNotMatch(internal.body.message, /hunter2/);
  assert.deepEqual(toWsErrorFrame(new CareloopError('BAD_FRAME', 'frame is not JSON'), 'c1'), { type: 'error', id: 'c1', code: 'BAD_FRAME', message: 'frame is not JSON' });
});

test('network failures and kafkajs transient errors become retryable', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  assert.equal(normalizeError(refused).code, 'DEPENDENCY_UNAVAILABLE');
  assert.equal(normalizeError(refused).retryable, true);
  assert.equal(normalizeError(Object.assign(new Error('leader not available'), { retriable: true })).retryable, true);
  assert.equal(normalizeError('a string').code, 'INTERNAL');
  assert.equal(normalizeError(new Error('timeout exceeded when trying to connect')).retryable, true, 'an exhausted pg pool is transient');
  assert.equal(normalizeError(Object.assign(new Error('sorry, too many clients already'), { code: '53300' })).code, 'DEPENDENCY_UNAVAILABLE');
  const busy = normalizeError(Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE', address: '127.0.0.1', port: 3001 }));
  assert.equal(busy.code, 'CONFIG_INVALID');
  assert.match(busy.message, /127\.0\.0\.1:3001 is already in use/);
  assert.equal(new CareloopError('VALIDATION_FAILED', 'x').retryable, false);
  assert.equal(new CareloopError('VALIDATION_FAILED', 'x', { retryable: true }).retryable, true);
});
