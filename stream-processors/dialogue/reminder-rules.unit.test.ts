import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { dosingInstruction, dosingQuestion } from '../../platform/safety/dosing.js';
import { emergencyModelPath, loadEmergencyDetector } from '../../platform/safety/model-file.js';
import { defaultCatalog } from '../../platform/workflow/catalog.js';
import { librarySource, mustCompile } from '../../platform/workflow/test-support.js';
import { defaultWorkflow } from './default-workflow.js';
import type { Programs } from './programs.js';
import type { SafetyKit } from './safety-layer.js';
import { of, turn, type TurnInputs, type TurnResult } from './turn.js';
import type { DialogueContext, MessageEvent, SignalEvent } from './types.js';

const ctx: DialogueContext = {
  organizationName: 'Sunrise Family Clinic', emergencyNumber: '112', crisisNumber: '988', poisonControlNumber: '1-800-222-1222',
  careTeamContact: 'Sunrise pharmacy', fallbackText: {}, languages: ['en', 'es'], timeZone: 'UTC',
  medications: [
    { id: 'm1', name: 'Metformin', dose: '500 mg', scheduleTimes: ['08:00'], instructions: '' },
    { id: 'm2', name: 'Lisinopril', dose: '10 mg', scheduleTimes: ['08:00'], instructions: '' },
  ],
};
const T0 = Date.UTC(2026, 10, 24, 9);
let seq = 0;
const message = (intent: string, text: string, confidence = 0.7): MessageEvent => ({
  kind: 'message', messageId: `m-${++seq}`, clientMessageId: `c-${seq}`, organizationId: 'org', patientId: 'p', channel: 'SMS',
  intent, confidence, language: 'en', text, entities: [], receivedAt: T0,
});
const signal = (type: string, attributes: Record<string, string>, at = T0): SignalEvent => ({ kind: 'signal', signalId: `s-${++seq}`, organizationId: 'org', patientId: 'p', type, attributes, language: 'en', occurredAt: at });
const adherence: Programs = { active: [{ workflowId: 'adherence', version: 1, compiled: mustCompile(librarySource('medication-adherence'), defaultCatalog(['en', 'es'])), publishedAt: 0 }], pinned: new Map() };

let safety: SafetyKit;
before(async () => { safety = { emergency: await loadEmergencyDetector(emergencyModelPath()), dosingQuestion, dosingInstruction }; });
const run = (event: MessageEvent | SignalEvent, over: Partial<TurnInputs> = {}): TurnResult =>
  turn(event, { conversation: null, optedOutOnRecord: false, patientActive: true, ctx, programs: adherence, builtIn: defaultWorkflow, safety, held: null, profile: {}, ...over });
const texts = (r: TurnResult): string => of(r.outcomes, 'reply').map((o) => o.reply.text).join(' ');

describe('reminder rules in the dialogue', () => {
  test('"I want to stop getting messages at night" sets quiet hours and does not opt the patient out', () => {
    const r = run(message('opt_out', 'I want to stop getting messages at night'));
    assert.equal(r.next.optedOut, false);
    assert.deepEqual(of(r.outcomes, 'action').map((a) => [a.action.type, a.action.attributes]), [['set_quiet_hours', { start: '22:00', end: '07:00' }]]);
    assert.match(texts(r), /between 22:00 and 07:00/);
    const after = run(signal('dose_due', { medication_id: 'm1' }), { conversation: r.next });
    assert.match(texts(after), /Time for your Metformin/, 'reminders still come');
  });

  test('STOP silences every reminder until START', () => {
    const stopped = run(message('opt_out', 'STOP', 1)).next;
    assert.deepEqual(run(signal('dose_due', { medication_id: 'm1' }), { conversation: stopped }).outcomes, []);
    const started = run(message('opt_in', 'START', 1), { conversation: stopped }).next;
    assert.match(texts(run(signal('dose_due', { medication_id: 'm1' }), { conversation: started })), /Time for your Metformin/);
  });

  test('a grouped reminder names every medication of its time', () => {
    assert.match(texts(run(signal('dose_due', { medication_id: 'm1,m2' }))), /Time for your Metformin 500 mg and Lisinopril 10 mg/);
  });

  test('adherence_30d is the medication\'s own when a signal names one, else the patient\'s over all', async () => {
    const { workflowContext } = await import('./programs.js');
    const withRates = { ...ctx, adherence30d: { overall: 0.9, byMedication: { m1: 0.5, m2: 1 } } };
    assert.equal(workflowContext('en', T0, withRates, {}, 'm1').profile['adherence_30d'], 0.5);
    assert.equal(workflowContext('en', T0, withRates, {}, 'm2,m1').profile['adherence_30d'], 1);
    assert.equal(workflowContext('en', T0, withRates).profile['adherence_30d'], 0.9);
    assert.deepEqual(workflowContext('en', T0, ctx).profile, {}, 'not loaded: unknown, so a nudge does not fire on a guess');
  });
});
