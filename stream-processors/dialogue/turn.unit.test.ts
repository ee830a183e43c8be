import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { dosingInstruction, dosingQuestion } from '../../platform/safety/dosing.js';
import { emergencyModelPath, loadEmergencyDetector } from '../../platform/safety/model-file.js';
import { defaultCatalog } from '../../platform/workflow/catalog.js';
import { librarySource, mustCompile } from '../../platform/workflow/test-support.js';
import { defaultWorkflow } from './default-workflow.js';
import { replyId } from './ids.js';
import type { ActiveWorkflow, Programs } from './programs.js';
import type { SafetyKit } from './safety-layer.js';
import { of, turn, type TurnInputs, type TurnResult } from './turn.js';
import type { Conversation, DialogueContext, MessageEvent, SignalEvent } from './types.js';

const ctx: DialogueContext = {
  organizationName: 'Sunrise Family Clinic', emergencyNumber: '112', crisisNumber: '988', poisonControlNumber: '1-800-222-1222',
  careTeamContact: 'Sunrise pharmacy, 555-0100', fallbackText: {}, languages: ['en', 'es'], timeZone: 'UTC',
  medications: [
    { id: 'm1', name: 'Metformin', dose: '500 mg', scheduleTimes: ['08:00'], instructions: '1 tablet twice a day with meals' },
    { id: 'm2', name: 'Lisinopril', dose: '10 mg', scheduleTimes: ['08:00'], instructions: '' },
  ],
};

const T0 = Date.UTC(2026, 10, 24, 9);
let seq = 0;
function message(intent: string, text = '', extra: Partial<MessageEvent> = {}): MessageEvent {
  seq += 1;
  return {
    kind: 'message', messageId: `m-${seq}`, clientMessageId: `c-${seq}`, organizationId: 'org', patientId: 'p', channel: 'WEB',
    intent, confidence: 0.9, language: 'en', text, entities: [], receivedAt: T0, ...extra,
  };
}
function signal(type: string, attributes: Record<string, string> = {}): SignalEvent {
  seq += 1;
  return { kind: 'signal', signalId: `s-${seq}`, organizationId: 'org', patientId: 'p', type, attributes, language: 'en', occurredAt: T0 };
}

function active(source: string, workflowId: string, catalog = defaultCatalog(['en', 'es'])): ActiveWorkflow {
  return { workflowId, version: 1, compiled: mustCompile(source, catalog), publishedAt: 0 };
}
const NONE: Programs = { active: [], pinned: new Map() };
// A workflow that calls a sub-workflow that is not there at run time: a WF_RUNTIME failure on greeting.
const BROKEN = active('workflow "Broken" version 1\nlanguages en, es\non intent greeting\n  say "Hi." es: "Hola."\n  call verify\nend\n', 'broken',
  { ...defaultCatalog(['en', 'es']), subworkflows: ['verify'] });

let safety: SafetyKit;
before(async () => { safety = { emergency: await loadEmergencyDetector(emergencyModelPath()), dosingQuestion, dosingInstruction }; });

function run(event: MessageEvent | SignalEvent, over: Partial<TurnInputs> = {}): TurnResult {
  return turn(event, { conversation: null, optedOutOnRecord: false, patientActive: true, ctx, profile: {}, programs: NONE, builtIn: defaultWorkflow, safety, held: null, ...over });
}
const texts = (r: TurnResult): string[] => of(r.outcomes, 'reply').map((o) => o.reply.text);
const actions = (r: TurnResult): Array<[string, Record<string, string>]> => of(r.outcomes, 'action').map((o) => [o.action.type, o.action.attributes]);

describe('the safety layer comes first', () => {
  test('given a cardiac emergency in the text, when the classifier missed it, then the safety reply with the emergency number and an urgent escalation', () => {
    const r = run(message('symptom_report', 'I have crushing chest pain and my left arm is numb'), { programs: { active: [BROKEN], pinned: new Map() } });
    assert.equal(of(r.outcomes, 'reply')[0]?.reply.kind, 'SAFETY');
    assert.match(texts(r)[0] ?? '', /call 112/);
    assert.deepEqual(actions(r), [['escalate', { priority: 'urgent', reason: 'emergency', category: 'cardiac' }]]);
  });

  test('given suicidal thoughts, then the crisis line; given poisoning, then poison control', () => {
    assert.match(texts(run(message('fallback', 'I want to kill myself')))[0] ?? '', /988/);
    assert.match(texts(run(message('fallback', 'my son drank bleach')))[0] ?? '', /Poison Control at 1-800-222-1222/);
  });

  test('given an opted-out patient, an emergency still gets the safety reply and the patient stays opted out', () => {
    const stop = run(message('opt_out', 'STOP', { confidence: 1 }));
    assert.equal(stop.next.optedOut, true);
    const r = run(message('emergency', 'I want to kill myself'), { conversation: stop.next });
    assert.equal(of(r.outcomes, 'reply')[0]?.reply.kind, 'SAFETY');
    assert.equal(r.next.optedOut, true);
  });

  test('STOP is confirmed, then silence until START; opted out on record starts silent', () => {
    const stop = run(message('opt_out', 'STOP', { confidence: 1 }));
    assert.deepEqual(actions(stop).map(([t]) => t), ['opt_out']);
    const silent = run(message('greeting', 'hi'), { conversation: stop.next });
    assert.deepEqual(silent.outcomes, []);
    const start = run(message('opt_in', 'START'), { conversation: silent.next });
    assert.equal(start.next.optedOut, false);
    assert.equal(texts(start).length, 1);
    assert.deepEqual(run(message('help', 'help'), { optedOutOnRecord: true }).outcomes, []);
    const subscribed = run(message('opt_in', 'yes'));
    assert.deepEqual(actions(subscribed), [], 'YES/START from a subscribed patient is an ordinary message');
    assert.equal(of(subscribed.outcomes, 'reply')[0]?.reply.templateId, 'already_subscribed');
  });

  test('given a question about doubling a dose, then the prescription is quoted, never advice, and the care team is told', () => {
    const r = run(message('medication_skipped', 'can I take two metformin tonight since I missed this morning?', { entities: [{ type: 'medication', value: 'Metformin', text: 'metformin' }] }));
    const reply = of(r.outcomes, 'reply')[0]?.reply;
    assert.equal(reply?.templateId, 'dosing_prescription');
    assert.match(reply?.text ?? '', /Metformin 500 mg says: 1 tablet twice a day with meals/);
    assert.match(reply?.text ?? '', /Sunrise pharmacy, 555-0100/);
    assert.deepEqual(actions(r).map(([t, a]) => [t, a['reason']]), [['escalate', 'dosing_question']]);
  });

  test('a sentence the classifier reads as opting out is confirmed first; the keyword STOP unsubscribes at once', () => {
    const asked = run(message('opt_out', 'please stop sending me these messages', { confidence: 0.8 }));
    assert.equal(asked.next.optedOut, false);
    assert.deepEqual(of(asked.outcomes, 'reply').map((o) => o.reply.templateId), ['opt_out_confirm']);
    assert.deepEqual(actions(asked), []);
    const confirmed = run(message('opt_out', 'STOP', { confidence: 1 }), { conversation: asked.next });
    assert.equal(confirmed.next.optedOut, true);
  });

  test('regression: a dosing question the classifier read as opt_out ("bajarle la dosis" ~ BAJA) does not unsubscribe the patient', () => {
    const r = run(message('opt_out', '¿debería bajarle la dosis a mi metformina?', { language: 'es', entities: [{ type: 'medication', value: 'Metformin', text: 'metformina' }] }));
    assert.equal(r.next.optedOut, false);
    assert.equal(of(r.outcomes, 'reply')[0]?.reply.templateId, 'dosing_prescription');
    assert.ok(!actions(r).some(([t]) => t === 'opt_out'));
  });

  test('given a dosing question about a medication without instructions, then the patient is sent to the pharmacist', () => {
    const r = run(message('fallback', 'should I double my lisinopril?', { entities: [{ type: 'medication', value: 'Lisinopril', text: 'lisinopril' }] }));
    assert.equal(of(r.outcomes, 'reply')[0]?.reply.templateId, 'dosing_ask');
  });
});

describe('published workflows, then the default', () => {
  test('a workflow that fails at run time is reported with its location and answered with the fallback text, not silently by the default', () => {
    const r = run(message('greeting', 'hello'), { programs: { active: [BROKEN], pinned: new Map() } });
    const [problem] = of(r.outcomes, 'problem');
    assert.equal(problem?.problem.code, 'WF_RUNTIME');
    assert.equal(problem?.problem.workflowId, 'broken');
    assert.equal(problem?.problem.line, 5);
    assert.deepEqual(of(r.outcomes, 'reply').map((o) => o.reply.templateId), ['workflow_problem']);
    assert.match(texts(r)[0] ?? '', /something went wrong/);
    assert.deepEqual(r.answeredBy, { workflowId: 'broken', workflowVersion: 1 });
  });

  test('the organisation\'s own fallback text is used when it has one', () => {
    const r = run(message('greeting', 'hello', { language: 'es' }), { programs: { active: [BROKEN], pinned: new Map() }, ctx: { ...ctx, fallbackText: { es: 'Llame a la clínica.' } } });
    assert.deepEqual(texts(r), ['Llame a la clínica.']);
  });

  test('a workflow\'s say that gives dosing instructions is replaced by the dosing answer and reported', () => {
    // The checker refuses such a text at publish time (WF_DOSING_ADVICE); this one was published before
    // the rule existed, so the compiled form carries it and only the run-time guard stands in the way.
    const bad = active('workflow "Bad" version 1\nlanguages en, es\non intent medication_skipped\n  say "No problem." es: "No pasa nada."\nend\n', 'bad');
    for (const texts of Object.values(bad.compiled.texts)) { texts['en'] = ['No problem, just take two tablets tonight to catch up.']; texts['es'] = ['No pasa nada, tome dos pastillas esta noche.']; }
    const r = run(message('medication_skipped', 'I missed my dose'), { programs: { active: [bad], pinned: new Map() } });
    assert.doesNotMatch(texts(r).join(' '), /two tablets/);
    assert.equal(of(r.outcomes, 'reply')[0]?.reply.kind, 'SAFETY');
    assert.deepEqual(of(r.outcomes, 'problem').map((p) => [p.problem.code, p.problem.workflowId]), [['DOSING_ADVICE_BLOCKED', 'bad']]);
  });

  test('a message no workflow handles is answered by the default, which names both medications and records each', () => {
    const r = run(message('medication_taken', 'I took my pills'), { programs: { active: [BROKEN], pinned: new Map() } });
    assert.match(texts(r)[0] ?? '', /Metformin 500 mg and Lisinopril 10 mg/);
    assert.deepEqual(actions(r).map(([t, a]) => [t, a['medication_id'], a['taken']]), [['record_adherence', 'm1', 'true'], ['record_adherence', 'm2', 'true']]);
    assert.deepEqual(r.answeredBy, { workflowId: 'default', workflowVersion: 1 });
  });

  test('regression: a forwarded request is named in words, never by its internal label', () => {
    for (const intent of ['refill_request', 'pharmacy_pickup', 'book_appointment', 'cancel_appointment', 'reschedule_appointment', 'find_service']) {
      for (const language of ['en', 'es'] as const) {
        const text = texts(run(message(intent, 'x', { language })))[0] ?? '';
        assert.doesNotMatch(text, /[a-z]+_[a-z]+|\(/, `${intent}/${language}: ${text}`);
      }
    }
  });

  test('a question is asked and its answer goes back to the workflow that asked, with slots kept typed', () => {
    const refill = active(librarySource('refill-pickup'), 'refill');
    const asked = run(signal('refill_due', { medication: 'Metformin', pharmacy: 'Main St', ready_time: '17:00' }), { programs: { active: [refill], pinned: new Map() } });
    assert.match(texts(asked).join(' '), /Main St/);
    assert.equal(asked.next.slots.wf['refill']?.question !== null, true);
    const answered = run(message('opt_in', 'yes', { entities: [{ type: 'yes_no', value: 'yes', text: 'yes' }] }), { conversation: asked.next, programs: { active: [refill], pinned: new Map() } });
    assert.deepEqual(actions(answered).map(([t]) => t), ['notify_pharmacy']);
    assert.equal(of(answered.outcomes, 'timer').length, 1, 'the two-day wait arms a timer');
  });
});

describe('signals and replays', () => {
  test('a signal no workflow listens for produces nothing; opted-out and inactive patients get no proactive message', () => {
    assert.deepEqual(run(signal('refill_due')).outcomes, []);
    const refill = active(librarySource('refill-pickup'), 'refill');
    const programs = { active: [refill], pinned: new Map() };
    const optedOut: Conversation = { ...run(message('opt_out', 'STOP', { confidence: 1 })).next };
    assert.deepEqual(run(signal('refill_due', { medication: 'x' }), { conversation: optedOut, programs }).outcomes, []);
    assert.deepEqual(run(signal('refill_due', { medication: 'x' }), { patientActive: false, programs }).outcomes, []);
  });

  test('a signal names the medication by care-plan id; the workflow says its name, which never travelled in the record', () => {
    const adherence = active(librarySource('medication-adherence'), 'adherence');
    const r = run(signal('dose_due', { medication_id: 'm1' }), { programs: { active: [adherence], pinned: new Map() } });
    assert.match(texts(r).join(' '), /Time for your Metformin 500 mg/);
  });

  test('a replayed message or signal produces nothing; reply ids are deterministic per cause', () => {
    const m = message('greeting', 'hi');
    const first = run(m);
    const again = run(m, { conversation: first.next });
    assert.equal(again.duplicate, true);
    assert.deepEqual(again.outcomes, []);
    const s = signal('refill_due');
    assert.equal(run(s, { conversation: run(s).next }).duplicate, true);
    assert.equal(replyId('abc', 0), replyId('abc', 0));
    assert.notEqual(replyId('abc', 0), replyId('abc', 1));
    assert.match(replyId('abc', 0), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test('Spanish messages get Spanish replies; snooze reads the date entity on the patient\'s clock', () => {
    assert.match(texts(run(message('greeting', 'hola', { language: 'es' })))[0] ?? '', /Hola/);
    const at = new Date(Date.UTC(2026, 10, 24, 15, 0)).toISOString();
    const d = run(message('snooze_reminder', 'at 3pm', { entities: [{ type: 'datetime', value: at, text: 'at 3pm' }] }));
    assert.equal(actions(d)[0]?.[1]['at'], at);
    assert.match(texts(d)[0] ?? '', /at 15:00\./);
    const ny = run(message('snooze_reminder', 'at 10am', { entities: [{ type: 'datetime', value: at, text: 'at 10am' }] }), { ctx: { ...ctx, timeZone: 'America/New_York' } });
    assert.match(texts(ny)[0] ?? '', /at 10:00\./);
  });
});

describe('while a person of the care team holds the conversation', () => {
  const held = { dueAt: T0 + 3_600_000 };
  test('given a held conversation, when the patient writes an ordinary message, then the bot says nothing and raises nothing', () => {
    const r = run(message('greeting', 'hello?'), { held });
    assert.deepEqual(r.outcomes, []);
    assert.equal(r.duplicate, false);
    assert.ok(r.next.recent.includes(`m-${seq}`), 'the message is still remembered, so a replay stays silent too');
    assert.notDeepEqual(run(message('greeting', 'hello?')).outcomes, [], 'and the same message unheld is answered');
  });

  test('given a held conversation, when the patient writes an emergency, then the safety reply and the urgent escalation still go out', () => {
    const r = run(message('symptom_report', 'I have crushing chest pain and my left arm is numb'), { held });
    assert.equal(of(r.outcomes, 'reply')[0]?.reply.kind, 'SAFETY');
    assert.match(texts(r)[0] ?? '', /call 112/);
    assert.deepEqual(actions(r).map(([type, a]) => [type, a['priority']]), [['escalate', 'urgent']]);
  });

  test('given a held conversation, when STOP arrives, then it is honoured at once', () => {
    const r = run(message('opt_out', 'STOP', { confidence: 1 }), { held });
    assert.equal(r.next.optedOut, true);
    assert.deepEqual(actions(r).map(([type]) => type), ['opt_out']);
  });

  test('given a held conversation, when a proactive signal arrives, then nothing interrupts the care team', () => {
    const refill = active(librarySource('refill-pickup'), 'refill');
    const programs = { active: [refill], pinned: new Map() };
    const s = { medication: 'Metformin', pharmacy: 'Main St', ready_time: '17:00' };
    assert.deepEqual(run(signal('refill_due', s), { programs, held }).outcomes, []);
    assert.notDeepEqual(run(signal('refill_due', s), { programs }).outcomes, [], 'unheld, the same signal speaks');
  });
});

describe('the turn reads the patient\'s profile as an input', () => {
  const PERSONAL = active(`workflow "Personal" version 1
languages en, es
on signal dose_due
  if risk is high and segment is "evening responders"
    say "Evening check: did you take your dose?" es: "¿Tomó su dosis esta tarde?"
  else if risk is high
    say "Did you take your dose?" es: "¿Tomó su dosis?"
  end
end
`, 'personal');
  const programs: Programs = { active: [PERSONAL], pinned: new Map() };

  test('given risk and segment in the profile, then the workflow branches on them; without a profile, it says nothing', () => {
    assert.deepEqual(texts(run(signal('dose_due'), { programs, profile: { risk: 'high', segment: 'evening responders' } })), ['Evening check: did you take your dose?']);
    assert.deepEqual(texts(run(signal('dose_due'), { programs, profile: { risk: 'high', segment: 'new patients' } })), ['Did you take your dose?']);
    assert.deepEqual(texts(run(signal('dose_due'), { programs, profile: { risk: 'low', segment: 'evening responders' } })), []);
    assert.deepEqual(texts(run(signal('dose_due'), { programs })), []);
  });
});
