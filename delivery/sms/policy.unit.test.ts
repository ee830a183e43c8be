import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decide, lateAllowanceMs, senderIntervalMs, type Recipient } from './policy.js';

const HOUR = 3_600_000;
const now = 1_800_000_000_000;
const active: Recipient = { kind: 'patient', status: 'active', smsConsent: true };
const run = (kind: 'REPLY' | 'PROACTIVE' | 'SAFETY' | 'SYSTEM', recipient: Recipient, opts: { createdAt?: number; quietUntil?: number } = {}) =>
  decide({ message: { kind, createdAt: opts.createdAt ?? now }, recipient, now, validityMs: 4 * HOUR, quietUntil: opts.quietUntil ?? now });

describe('the SMS edge policy', () => {
  test('given an opted-out patient, when a proactive or reply text comes, then it is dropped; safety and STOP/START confirmations still go', () => {
    const out: Recipient = { ...active, status: 'opted_out' };
    assert.deepEqual(run('PROACTIVE', out), { kind: 'drop', reason: 'OPTED_OUT' });
    assert.deepEqual(run('REPLY', out), { kind: 'drop', reason: 'OPTED_OUT' });
    assert.equal(run('SAFETY', out).kind, 'send');
    assert.equal(run('SYSTEM', out).kind, 'send');
  });
  test('a withdrawn SMS consent is an opt-out too, and a proactive text needs a consent on record', () => {
    assert.deepEqual(run('PROACTIVE', { ...active, smsConsent: false }), { kind: 'drop', reason: 'OPTED_OUT' });
    assert.deepEqual(run('PROACTIVE', { ...active, smsConsent: null }), { kind: 'drop', reason: 'NO_SMS_CONSENT' });
    assert.equal(run('REPLY', { ...active, smsConsent: null }).kind, 'send'); // they texted us
  });
  test('proactive texts wait out quiet hours, unless that outlives their validity', () => {
    assert.deepEqual(run('PROACTIVE', active, { quietUntil: now + HOUR }), { kind: 'defer', until: now + HOUR });
    assert.deepEqual(run('PROACTIVE', active, { quietUntil: now + 5 * HOUR }), { kind: 'drop', reason: 'EXPIRED' });
    assert.equal(run('REPLY', active, { quietUntil: now + HOUR }).kind, 'send'); // an answer to the patient's own text
  });
  test('nothing is sent after its validity period', () => {
    assert.deepEqual(run('SAFETY', active, { createdAt: now - 4 * HOUR }), { kind: 'drop', reason: 'EXPIRED' });
  });
  test('an unverified number gets only system texts (prompts, HELP); an erased patient nothing', () => {
    const contact: Recipient = { kind: 'contact', status: 'unknown', smsConsent: null };
    assert.equal(run('SYSTEM', contact).kind, 'send');
    assert.deepEqual(run('REPLY', contact), { kind: 'drop', reason: 'CONTACT_NOT_ALLOWED' });
    assert.deepEqual(run('SAFETY', { ...active, status: 'erased' }), { kind: 'drop', reason: 'NOT_A_PATIENT' });
  });
  test('senders are paced just under their rate', () => {
    const rates = { longCode: 1, tollFree: 3, shortCode: 100 };
    assert.equal(senderIntervalMs('long_code', rates), 1100);
    assert.equal(senderIntervalMs('toll_free', rates), 367);
    assert.equal(senderIntervalMs('short_code', rates), 11);
    assert.equal(lateAllowanceMs(1100), 50);
    assert.equal(lateAllowanceMs(11), 20);
  });
});
