import assert from 'node:assert/strict';
import { test } from 'node:test';
import { notificationFor, outcomeOf } from './notification.js';
import { triedBy } from './push-job.js';

test('a notification names the organisation and links to the chat, in the patient\'s language, and nothing else', () => {
  const n = notificationFor('Clínica Sol', 'es', 'https://chat.example/', 'm-1');
  assert.deepEqual(n, { title: 'Clínica Sol', body: 'Tiene un mensaje nuevo de Clínica Sol', url: 'https://chat.example/', tag: 'm-1' });
  assert.equal(notificationFor('Clinic', 'fr', 'u', 'm').body, 'You have a new message from Clinic', 'an unknown language falls back to English');
});

test('push service answers: 2xx sent; 404, 410 and UNREGISTERED gone; 429 and 5xx retried; other errors not', () => {
  assert.deepEqual(outcomeOf(201), { kind: 'sent' });
  assert.deepEqual(outcomeOf(410), { kind: 'gone' });
  assert.deepEqual(outcomeOf(404), { kind: 'gone' });
  assert.deepEqual(outcomeOf(400, true), { kind: 'gone' });
  assert.deepEqual(outcomeOf(429), { kind: 'failed', retryable: true, status: 429 });
  assert.deepEqual(outcomeOf(503), { kind: 'failed', retryable: true, status: 503 });
  assert.deepEqual(outcomeOf(400), { kind: 'failed', retryable: false, status: 400 });
  assert.deepEqual(outcomeOf(403), { kind: 'failed', retryable: false, status: 403 });
});

test('a push record counts the web as tried when it is the web\'s fallback copy', () => {
  assert.deepEqual(triedBy({ messageId: 'm-1' }), ['PUSH']);
  assert.deepEqual(triedBy({ messageId: 'm-1~push' }), ['WEB', 'PUSH']);
});
