import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { UnderstoodMessage, PatientSignal, DeliveryStatus } from '../../schemas/generated/avro-types.js';
import { oldestKeptMonth } from './retention.js';
import { toEventRow } from './rows.js';

const enc = (s: string) => ({ keyId: 'k1', nonce: Buffer.alloc(12), ciphertext: Buffer.from(s) });

test('given an understood message, the row keeps the intent and confidence and none of the text or entity values', () => {
  const v: UnderstoodMessage = {
    messageId: 'm1', traceId: 't1', organizationId: 'o1', patientId: 'p1', channel: 'SMS', clientMessageId: null,
    receivedAt: Date.UTC(2026, 10, 24, 10, 0, 0), understoodAt: Date.UTC(2026, 10, 24, 10, 0, 0, 40), language: 'es',
    intent: 'medication_taken', confidence: 0.97, entityTypes: ['medication', 'datetime'],
    entities: enc('CANARY-metformin'), text: enc('CANARY-text'),
  };
  const row = toEventRow('chat.intents', v);
  assert.ok(row);
  assert.equal(row.event_type, 'intent_detected');
  assert.equal(row.event_date, '2026-11-24');
  assert.equal(row.score, 0.97);
  assert.equal(row.attr_values[row.attr_keys.indexOf('intent')], 'medication_taken');
  assert.equal(row.attr_values[row.attr_keys.indexOf('latency_ms')], '40');
  assert.ok(!JSON.stringify(row).includes('CANARY'), 'no text or entity value reaches analytics');
});

test('signals and delivery receipts become typed events; the config topic is not analysed', () => {
  const s: PatientSignal = { signalId: 's1', traceId: 't', organizationId: 'o', patientId: 'p', type: 'refill_due', source: 'fhir', occurredAt: 0, attributes: { days_left: '3' }, payload: enc('CANARY') };
  assert.equal(toEventRow('patient.signals', s)?.event_type, 'signal.refill_due');
  assert.ok(!JSON.stringify(toEventRow('patient.signals', s)).includes('CANARY'));
  const d: DeliveryStatus = { messageId: 'm', traceId: 't', organizationId: 'o', patientId: 'p', channel: 'WEB', status: 'FAILED', at: 0, attempt: 2, errorCode: 'TIMEOUT' };
  const row = toEventRow('delivery.status', d);
  assert.equal(row?.event_type, 'delivery.failed');
  assert.equal(row?.record_id, 'm:FAILED:2', 'each attempt is its own row');
  assert.equal(toEventRow('config.workflows', {}), null);
});

test('a push delivery receipt is an event of the PUSH channel, its reason kept', () => {
  const d: DeliveryStatus = { messageId: 'm', traceId: 't', organizationId: 'o', patientId: 'p', channel: 'PUSH', status: 'UNDELIVERABLE', at: 0, attempt: 1, errorCode: 'PUSH_TOKEN_GONE' };
  const row = toEventRow('delivery.status', d);
  assert.equal(row?.channel, 'PUSH');
  assert.equal(row?.event_type, 'delivery.undeliverable');
  assert.ok(JSON.stringify(row).includes('PUSH_TOKEN_GONE'));
});

test('retention keeps whole months: the oldest month kept is `months` months before this one', () => {
  assert.equal(oldestKeptMonth(new Date('2026-11-24T00:00:00Z'), 25), 202410);
  assert.equal(oldestKeptMonth(new Date('2026-01-01T00:00:00Z'), 1), 202512);
  assert.equal(oldestKeptMonth(new Date('2026-12-31T23:59:59Z'), 12), 202512);
  assert.equal(oldestKeptMonth(new Date('2026-03-10T00:00:00Z'), 0), 202603);
});

test('an outbound message keeps its variant, the propensity it was chosen with and what it answers; an action names a class, not a medication', () => {
  const o = {
    messageId: 'm2', traceId: 't', organizationId: 'o', patientId: 'p', channel: 'WEB', kind: 'PROACTIVE', replyTo: 'in-1', createdAt: 0,
    workflowId: 'w', workflowVersion: 2, templateId: 'dose_question', variantId: 'v1', content: enc('CANARY'), propensity: 0.25,
  };
  const row = toEventRow('chat.outbound', o);
  assert.deepEqual(row?.attr_keys, ['kind', 'propensity', 'reply_to', 'template', 'variant']);
  assert.deepEqual(row?.attr_values, ['PROACTIVE', '0.25', 'in-1', 'dose_question', 'v1']);
  const a = { actionId: 'a1', traceId: 't', organizationId: 'o', patientId: 'p', type: 'record_adherence', occurredAt: 0, causedBy: null, workflowId: 'w', workflowVersion: 1,
    attributes: { taken: 'true', medication: 'CANARY Lisinopril 10 mg', free_text: 'CANARY' }, payload: enc('CANARY') };
  const action = toEventRow('patient.actions', a);
  assert.deepEqual(action?.attr_keys, ['medication_class', 'taken']);
  assert.deepEqual(action?.attr_values, ['antihypertensive', 'true']);
  assert.ok(!JSON.stringify(action).includes('CANARY'));
});
