import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { dosingInstruction, dosingQuestion } from '../../platform/safety/dosing.js';
import { emergencyModelPath, loadEmergencyDetector } from '../../platform/safety/model-file.js';
import { defaultCatalog } from '../../platform/workflow/catalog.js';
import { librarySource, mustCompile } from '../../platform/workflow/test-support.js';
import { programOptOut } from '../../platform/nlu/rules.js';
import { defaultWorkflow } from './default-workflow.js';
import { runSignal, type Programs } from './programs.js';
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
const adherence: Programs = { active: [{ workflowId: 'adherence', version: 1, compiled: mustCompile(librarySource('medication-adherence'), defaultCatalog(['en', 'es'])), publishedAt: 0 }], pinned: new Map() };

let safety: SafetyKit;
before(async () => { safety = { emergency: await loadEmergencyDetector(emergencyModelPath()), dosingQuestion, dosingInstruction }; });
const run = (event: MessageEvent | SignalEvent, over: Partial<TurnInputs> = {}): TurnResult =>
  turn(event, { conversation: null, optedOutOnRecord: false, patientActive: true, ctx, programs: adherence, builtIn: defaultWorkflow, safety, held: null, profile: {}, ...over });
const texts = (r: TurnResult): string => of(r.outcomes, 'reply').map((o) => o.reply.text).join(' ');

describe('programmes (campaigns) in the dialogue', () => {
  test('"stop the program messages" / "no quiero mensajes del programa" withdraw the programme consent only, not the channel', () => {
    for (const [text, lang] of [['stop the program messages', 'en'], ['No quiero mensajes del programa', 'es']] as const) {
      const hit = programOptOut(text);
      assert.equal(hit?.intent, 'program_opt_out', text);
      const r = run({ ...message('program_opt_out', text, 1), language: lang });
      assert.equal(r.next.optedOut, false, 'the channel stays on');
      assert.deepEqual(of(r.outcomes, 'action').map((a) => [a.action.type, a.action.attributes]), [['withdraw_consent', { scope: 'programs' }]]);
      assert.match(texts(r), lang === 'en' ? /no more programme messages/ : /no recibirá más mensajes del programa/);
    }
    for (const text of ['stop', 'I take my programmed pills', 'the program is great']) assert.equal(programOptOut(text), null, text);
  });

  test('a campaign_start signal runs only the campaign\'s workflow', () => {
    const src = 'workflow "P" version 1\non signal campaign_start\n  say "Welcome to the programme" es: "Bienvenido al programa"\nend\n';
    const a = mustCompile(src.replace('"P"', '"A"'), defaultCatalog(['en', 'es']));
    const b = mustCompile(src.replace('"P"', '"B"').replace('Welcome', 'Hello'), defaultCatalog(['en', 'es']));
    const programs: Programs = { active: [{ workflowId: 'prog-a', version: 1, compiled: a, publishedAt: 0 }, { workflowId: 'prog-b', version: 1, compiled: b, publishedAt: 0 }], pinned: new Map() };
    const wctx = { now: T0, language: 'en' as const, slots: {}, profile: {}, variables: {} };
    const out = runSignal(programs, { wf: {} }, { type: 'campaign_start', attributes: { campaign_id: 'c1', workflow_id: 'prog-b' } }, wctx as never);
    assert.deepEqual(out.answeredBy, { workflowId: 'prog-b', workflowVersion: 1 });
  });
});
