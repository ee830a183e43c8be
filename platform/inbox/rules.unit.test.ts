import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { compileSla, escalationAction, isOverdue, nextPage, nextPageAt, pageBody, roughly, signature, taskFromAction, taskIdOf, type ActionView } from './rules.js';
import { resolveSecretRef, isSecretRef } from './secret-ref.js';
import type { Sla } from './types.js';

const SLA: Sla = { urgent: 15 * 60_000, high: 3_600_000, normal: 4 * 3_600_000, low: 86_400_000 };
const T0 = Date.UTC(2026, 11, 1, 9);
const action = (type: string, attributes: Record<string, string> = {}): ActionView => ({ actionId: `a-${type}-${JSON.stringify(attributes)}`, organizationId: 'org', patientId: 'p1', type, occurredAt: T0, causedBy: 'm1', attributes });

describe('escalations become tasks', () => {
  test('given the emergency escalation, then an urgent task due after the urgent SLA with its category', () => {
    const t = taskFromAction(action('escalate', { priority: 'urgent', reason: 'emergency', category: 'cardiac', channel: 'WEB', language: 'es' }), SLA);
    assert.equal(t?.priority, 'urgent');
    assert.equal(t?.kind, 'escalation');
    assert.equal(t?.category, 'cardiac');
    assert.equal(t?.language, 'es');
    assert.equal(t?.dueAt, T0 + 15 * 60_000);
  });

  test('given a handoff, then a high-priority handoff task for the patient request; other actions raise none', () => {
    const t = taskFromAction(action('handoff', { reason: 'patient_request', channel: 'sms' }), SLA);
    assert.deepEqual([t?.kind, t?.priority, t?.reason, t?.channel, t?.dueAt], ['handoff', 'high', 'patient_request', 'SMS', T0 + 3_600_000]);
    assert.equal(taskFromAction(action('record_adherence'), SLA), null);
    assert.equal(taskFromAction(action('opt_out'), SLA), null);
  });

  test('given a failed booking (escalate, booking_failed), then a normal task; an unknown priority is normal', () => {
    const sent = escalationAction('booking_failed', 'normal', 'hospital_refused');
    const booked = taskFromAction({ ...action(sent.type), attributes: sent.attributes }, SLA);
    assert.deepEqual([booked?.kind, booked?.priority, booked?.reason, booked?.category], ['escalation', 'normal', 'booking_failed', 'hospital_refused']);
    const t = taskFromAction(action('escalate', { reason: 'booking_failed', priority: 'whenever' }), SLA);
    assert.deepEqual([t?.priority, t?.reason, t?.dueAt], ['normal', 'booking_failed', T0 + 4 * 3_600_000]);
  });

  test('given free text where a code goes, then it never reaches the task', () => {
    const t = taskFromAction(action('escalate', { reason: 'Mrs Smith says her chest hurts', category: 'chest pain!' }), SLA);
    assert.equal(t?.reason, 'other');
    assert.equal(t?.category, 'other');
  });

  test('the task id is stable per action, so a replay finds the same task', () => {
    assert.equal(taskIdOf('a1'), taskIdOf('a1'));
    assert.notEqual(taskIdOf('a1'), taskIdOf('a2'));
    assert.match(taskIdOf('a1'), /^task_[A-Za-z0-9_-]{22}$/);
  });

  test('an organisation overrides some priorities; bad values fall back to the defaults', () => {
    const sla = compileSla(SLA, { urgent: 120_000, high: -5, low: 'soon', extra: 1 });
    assert.deepEqual(sla, { ...SLA, urgent: 120_000 });
    assert.equal(isOverdue({ status: 'open', dueAt: T0 }, T0 + 1), true);
    assert.equal(isOverdue({ status: 'resolved', dueAt: T0 }, T0 + 1), false);
    assert.equal(isOverdue({ status: 'claimed', dueAt: T0 + 2 }, T0 + 1), false);
  });

  test('the patient is told roughly when, in their language', () => {
    assert.equal(roughly(15 * 60_000, 'en'), 'about 15 minutes');
    assert.equal(roughly(3_600_000, 'en'), 'about 60 minutes');
    assert.equal(roughly(4 * 3_600_000, 'es'), 'aproximadamente 4 horas');
    assert.equal(roughly(86_400_000, 'es'), 'aproximadamente 24 horas');
    assert.equal(roughly(3 * 86_400_000, 'en'), 'about 3 days');
    assert.equal(roughly(10_000, 'en'), 'about 1 minute');
  });
});

describe('on-call paging', () => {
  const contacts = [{ id: 'nurse-a', url: 'http://a' }, { id: 'nurse-b', url: 'http://b' }];
  test('pages each contact in order, then the page is exhausted', () => {
    assert.deepEqual(nextPage({ contactIndex: 0, attempts: 0 }, { contacts }), { kind: 'send', contact: contacts[0], attempt: 1, nextIndex: 1 });
    assert.deepEqual(nextPage({ contactIndex: 1, attempts: 1 }, { contacts }), { kind: 'send', contact: contacts[1], attempt: 2, nextIndex: 2 });
    assert.deepEqual(nextPage({ contactIndex: 2, attempts: 2 }, { contacts }), { kind: 'exhausted' });
    assert.deepEqual(nextPage({ contactIndex: 0, attempts: 0 }, { contacts: [] }), { kind: 'exhausted' });
  });

  test('a delivered page waits for the acknowledgement window; a failed one moves on at once', () => {
    assert.equal(nextPageAt(true, T0, { ackTimeoutMs: 120_000 }), T0 + 120_000);
    assert.equal(nextPageAt(false, T0, { ackTimeoutMs: 120_000 }), T0);
  });

  test('the body holds ids and codes only, and the signature is HMAC-SHA256 of the exact body', () => {
    const body = JSON.stringify(pageBody({ id: 'task_1', organizationId: 'org', patientId: 'p1', priority: 'urgent', reason: 'emergency', category: 'stroke', createdAt: T0, dueAt: T0 + 1 }, contacts[0] ?? { id: '', url: '' }, 1, T0));
    assert.deepEqual(Object.keys(JSON.parse(body) as object).sort(), ['ack', 'attempt', 'category', 'contactId', 'createdAt', 'deliveryId', 'dueAt', 'organizationId', 'patientId', 'priority', 'reason', 'sentAt', 'taskId', 'type']);
    const secret = Buffer.from('a-shared-secret-of-the-clinic');
    assert.equal(signature(body, secret), `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
    assert.notEqual(signature(body + ' ', secret), signature(body, secret), 'one byte more changes it');
  });

  test('secrets are resolved by reference, never stored: env: and file:, too short or missing refused', () => {
    assert.equal(resolveSecretRef('env:ONCALL_SECRET', { ONCALL_SECRET: 'sixteen-chars-at-least' }).toString(), 'sixteen-chars-at-least');
    assert.throws(() => resolveSecretRef('env:ONCALL_SECRET', {}), /missing/);
    assert.throws(() => resolveSecretRef('env:ONCALL_SECRET', { ONCALL_SECRET: 'short' }), /shorter/);
    assert.throws(() => resolveSecretRef('the-secret-itself-pasted-here', {}), /env:NAME or file/);
    assert.throws(() => resolveSecretRef('file:/nonexistent/secret', {}), /missing/);
    assert.equal(isSecretRef('env:ONCALL_SECRET'), true);
    assert.equal(isSecretRef('file:/run/secrets/oncall'), true);
    assert.equal(isSecretRef('env:CARELOOP_X'), false, 'CARELOOP_ variables are configuration keys');
    assert.equal(isSecretRef('hunter2hunter2hunter2'), false);
  });
});
