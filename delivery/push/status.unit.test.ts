import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pushReport, TOKEN_GONE } from './status.js';

test('a push any service accepted is SENT, noting a token dropped beside it', () => {
  assert.deepEqual(pushReport([{ kind: 'sent' }]), { status: 'SENT', errorCode: null });
  assert.deepEqual(pushReport([{ kind: 'gone' }, { kind: 'sent' }, { kind: 'failed', retryable: true, status: 503 }]), { status: 'SENT', errorCode: TOKEN_GONE });
});

test('no device, or only gone ones, is UNDELIVERABLE', () => {
  assert.deepEqual(pushReport([]), { status: 'UNDELIVERABLE', errorCode: 'PUSH_NO_DEVICE' });
  assert.deepEqual(pushReport([{ kind: 'gone' }, { kind: 'gone' }]), { status: 'UNDELIVERABLE', errorCode: TOKEN_GONE });
});

test('a refusal retrying cannot help is FAILED with its status; a retryable one reports nothing yet', () => {
  assert.deepEqual(pushReport([{ kind: 'gone' }, { kind: 'failed', retryable: false, status: 403 }]), { status: 'FAILED', errorCode: 'PUSH_HTTP_403' });
  assert.deepEqual(pushReport([{ kind: 'failed', retryable: false, status: 0 }]), { status: 'FAILED', errorCode: 'PUSH_NOT_CONFIGURED' });
  assert.equal(pushReport([{ kind: 'failed', retryable: false, status: 400 }, { kind: 'failed', retryable: true, status: 429 }]), null);
});
