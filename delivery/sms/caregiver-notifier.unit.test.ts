import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PatientAction } from '../../schemas/generated/avro-types.js';
import { caregiverMessageId, contactOf } from './caregiver-notifier.js';
import { decide } from './policy.js';

const action = (attributes: Record<string, string>, type: PatientAction['type'] = 'notify_caregiver'): PatientAction => ({
  actionId: 'caregiver:cg_1:occ_9', traceId: 't', organizationId: 'org_1', patientId: 'p_1', type, occurredAt: 0, causedBy: null, workflowId: null, workflowVersion: null, payload: null, attributes,
});

describe('the caregiver text from a notify_caregiver action', () => {
  test('given the medication template, then the medication ids come through; given the plain one, then none do even if present', () => {
    const withMeds = contactOf(action({ caregiver_id: 'cg_1', channel: 'sms', template_id: 'caregiver_missed_doses_medication', missed: '3', medication_ids: 'm1,m2' }));
    assert.deepEqual(withMeds, { caregiverId: 'cg_1', templateId: 'caregiver_missed_doses_medication', missed: 3, medicationIds: ['m1', 'm2'] });
    const plain = contactOf(action({ caregiver_id: 'cg_1', channel: 'sms', template_id: 'caregiver_missed_doses', missed: '3', medication_ids: 'm1' }));
    assert.deepEqual(plain?.medicationIds, []);
  });
  test('other actions, other channels and actions without a caregiver are not texts', () => {
    assert.equal(contactOf(action({ caregiver_id: 'cg_1', channel: 'web' })), null);
    assert.equal(contactOf(action({ channel: 'sms' })), null);
    assert.equal(contactOf(action({ caregiver_id: 'cg_1', channel: 'sms' }, 'opt_out')), null);
  });
  test('a replayed action gets the same message id (the SMS queue deduplicates it), another action another', () => {
    assert.equal(caregiverMessageId('caregiver:cg_1:occ_9'), caregiverMessageId('caregiver:cg_1:occ_9'));
    assert.notEqual(caregiverMessageId('caregiver:cg_1:occ_9'), caregiverMessageId('caregiver:cg_1:occ_10'));
    assert.match(caregiverMessageId('x'), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
  test('the edge holds a caregiver to their own STOP and to the patient\'s consent, but STOP confirmations still go', () => {
    const at = { message: { kind: 'PROACTIVE' as const, createdAt: 0 }, now: 1, validityMs: 10, quietUntil: 1 };
    assert.deepEqual(decide({ ...at, recipient: { kind: 'caregiver', status: 'opted_out', smsConsent: true } }), { kind: 'drop', reason: 'OPTED_OUT' });
    assert.deepEqual(decide({ ...at, recipient: { kind: 'caregiver', status: 'active', smsConsent: false } }), { kind: 'drop', reason: 'OPTED_OUT' });
    assert.deepEqual(decide({ ...at, recipient: { kind: 'caregiver', status: 'unknown', smsConsent: null } }), { kind: 'drop', reason: 'NOT_A_PATIENT' });
    assert.equal(decide({ ...at, recipient: { kind: 'caregiver', status: 'active', smsConsent: true } }).kind, 'send');
    assert.equal(decide({ ...at, message: { kind: 'SYSTEM', createdAt: 0 }, recipient: { kind: 'caregiver', status: 'opted_out', smsConsent: true } }).kind, 'send');
  });
});
