import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decide, replyId } from './decide.js';
import { defaultWorkflow } from './default-workflow.js';
import { initialState, type DialogueContext, type DialogueInput, type WorkflowRuntime } from './types.js';

const ctx: DialogueContext = {
  organizationName: 'Sunrise Family Clinic', emergencyNumber: '112', languages: ['en', 'es'], now: 0, timeZone: 'UTC',
  medications: [{ id: 'm1', name: 'Metformin', dose: '500 mg', scheduleTimes: ['08:00'] }, { id: 'm2', name: 'Lisinopril', dose: '10 mg', scheduleTimes: ['08:00'] }],
};

let seq = 0;
function input(intent: string, extra: Partial<DialogueInput> = {}): DialogueInput {
  seq += 1;
  return {
    messageId: `m-${seq}`, clientMessageId: `c-${seq}`, organizationId: 'org', patientId: 'p', channel: 'WEB',
    intent, confidence: 0.9, language: 'en', entities: [], receivedAt: Date.UTC(2026, 10, 24, 9), ...extra,
  };
}

const broken: WorkflowRuntime = { workflowId: 'broken', version: 7, decide: () => { throw new Error('workflow bug'); } };

describe('dialogue decide', () => {
  test('given a patient with two medications, when they say they took their pills, then the reply names both and adherence is recorded for each', () => {
    const d = decide(input('medication_taken'), null, ctx, defaultWorkflow, false);
    assert.match(d.replies[0]?.text ?? '', /Metformin 500 mg and Lisinopril 10 mg/);
    assert.deepEqual(d.actions.map((a) => [a.type, a.attributes['medication_id'], a.attributes['taken']]), [['record_adherence', 'm1', 'true'], ['record_adherence', 'm2', 'true']]);
  });

  test('given a named medication entity, then only that medication is recorded', () => {
    const d = decide(input('medication_taken', { entities: [{ type: 'medication', value: 'Lisinopril', text: 'lisinopril' }] }), null, ctx, defaultWorkflow, false);
    assert.equal(d.actions.length, 1);
    assert.equal(d.actions[0]?.attributes['medication_id'], 'm2');
  });

  test('an emergency gets the safety reply and an urgent escalation even when the workflow is broken', () => {
    const d = decide(input('emergency'), null, ctx, broken, false);
    assert.equal(d.replies[0]?.kind, 'SAFETY');
    assert.match(d.replies[0]?.text ?? '', /call 112/);
    assert.deepEqual(d.actions, [{ type: 'escalate', attributes: { priority: 'urgent', reason: 'emergency' } }]);
  });

  test('a broken workflow still answers (fallback) and reports the error', () => {
    const d = decide(input('greeting'), null, ctx, broken, false);
    assert.equal(d.replies.length, 1);
    assert.ok(d.workflowError instanceof Error);
  });

  test('STOP is confirmed, then silence until START; opted out on record starts silent', () => {
    const stop = decide(input('opt_out'), null, ctx, defaultWorkflow, false);
    assert.equal(stop.nextState.optedOut, true);
    assert.deepEqual(stop.actions.map((a) => a.type), ['opt_out']);
    const silent = decide(input('greeting'), stop.nextState, ctx, defaultWorkflow, false);
    assert.deepEqual([silent.replies, silent.actions], [[], []]);
    const start = decide(input('opt_in'), silent.nextState, ctx, defaultWorkflow, false);
    assert.equal(start.nextState.optedOut, false);
    assert.equal(start.replies.length, 1);
    assert.deepEqual(decide(input('help'), null, ctx, defaultWorkflow, true).replies, []);
    const notOptedOut = decide(input('opt_in'), null, ctx, defaultWorkflow, false);
    assert.deepEqual(notOptedOut.actions, [], 'YES/START from a subscribed patient is an ordinary message');
    assert.equal(notOptedOut.replies[0]?.templateId, 'already_subscribed');
  });

  test('a replayed message produces nothing; reply ids are deterministic per message', () => {
    const m = input('greeting');
    const first = decide(m, initialState('org', defaultWorkflow), ctx, defaultWorkflow, false);
    const again = decide(m, first.nextState, ctx, defaultWorkflow, false);
    assert.equal(again.duplicate, true);
    assert.deepEqual(again.replies, []);
    assert.equal(replyId('abc', 0), replyId('abc', 0));
    assert.notEqual(replyId('abc', 0), replyId('abc', 1));
    assert.match(replyId('abc', 0), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test('Spanish messages get Spanish replies; snooze uses the date entity', () => {
    assert.match(decide(input('greeting', { language: 'es' }), null, ctx, defaultWorkflow, false).replies[0]?.text ?? '', /Hola/);
    const at = new Date(Date.UTC(2026, 10, 24, 15, 0)).toISOString();
    const d = decide(input('snooze_reminder', { entities: [{ type: 'datetime', value: at, text: 'at 3pm' }] }), null, ctx, defaultWorkflow, false);
    assert.equal(d.actions[0]?.attributes['at'], at);
    assert.match(d.replies[0]?.text ?? '', /at 15:00\./);
    // The same instant, told to a patient in New York, reads on their clock.
    const ny = decide(input('snooze_reminder', { entities: [{ type: 'datetime', value: at, text: 'at 10am' }] }), null, { ...ctx, timeZone: 'America/New_York' }, defaultWorkflow, false);
    assert.equal(ny.actions[0]?.attributes['at'], at);
    assert.match(ny.replies[0]?.text ?? '', /at 10:00\./);
  });
});
