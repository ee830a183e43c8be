import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultCatalog } from './catalog.js';
import { checksum, compileWorkflow } from './compiler.js';
import { COMPILED_FORMAT, type CompiledWorkflow } from './compiled.js';
import { runWorkflow, type WorkflowContext, type WorkflowEvent, type WorkflowState } from './interpreter.js';
import { mustCompile } from './test-support.js';

const T0 = Date.parse('2026-01-05T09:00:00Z');
const ctx = (over: Partial<WorkflowContext> = {}): WorkflowContext => ({ now: T0, language: 'en', profile: {}, variables: { org: 'Acme' }, ...over });
const msg = (text: string, intent = 'fallback', entities: Array<{ type: string; value: string; text: string }> = []): WorkflowEvent => ({ kind: 'message', intent, text, language: 'en', entities });
const yes = msg('yes', 'opt_in', [{ type: 'yes_no', value: 'yes', text: 'yes' }]);

const FLOW = mustCompile(`workflow "Demo" version 2
languages en, es
on signal refill_due with medication
  ask ok: "Ready {medication}?" es: "¿Listo {medication}?" as yes_no
    retries 1
    timeout 2 hours
  when yes
    do notify_pharmacy with medication = medication
    say "Done." es: "Hecho."
  when no
    wait 1 day
    say "Reminder about {medication}." es: "Recordatorio de {medication}."
  when timeout
    say "No answer." es: "Sin respuesta."
  otherwise
    do handoff
    end conversation
  end
end
on intent help anytime
  say "Help text." | "Another help." es: "Ayuda."
end
on intent greeting
  if adherence_30d < 80%
    say "Low." es: "Bajo."
  else
    say "Good." es: "Bien."
  end
  call verify with who = "patient"
end
on schedule every day at 10:30
  say "Daily." es: "Diario."
end
`, { ...defaultCatalog(['en', 'es']), subworkflows: ['verify'] });

const SUB = mustCompile('workflow "verify" version 1\nlanguages en, es\non call with who\n  say "Verifying {who}." es: "Verificando {who}."\nend\n');

function start(): { state: WorkflowState | null; timers: Array<{ id: string; at: number }> } {
  const o = runWorkflow(FLOW, { kind: 'signal', type: 'refill_due', attributes: { medication: 'Metformin' } }, null, ctx());
  return { state: o.state, timers: o.timers };
}

describe('compileWorkflow output', () => {
  test('is plain JSON with a format, triggers, step ids and texts per language', () => {
    assert.equal(FLOW.format, COMPILED_FORMAT);
    assert.equal(FLOW.version, 2);
    assert.deepEqual(FLOW.triggers.map((t) => t.kind), ['signal', 'intent', 'intent', 'daily']);
    assert.deepEqual(JSON.parse(JSON.stringify(FLOW)), FLOW);
    assert.deepEqual(FLOW.texts['~s1'], { en: ['Ready {medication}?'], es: ['¿Listo {medication}?'] });
  });
  test('checksum is stable across key order and changes with the wording', () => {
    const again = JSON.parse(JSON.stringify(FLOW)) as CompiledWorkflow;
    assert.equal(checksum(again), checksum(FLOW));
    const changed = { ...FLOW, texts: { ...FLOW.texts, '~s1': { en: ['Other'], es: ['Otro'] } } };
    assert.notEqual(checksum(changed), checksum(FLOW));
    assert.match(checksum(FLOW), /^sha256:[0-9a-f]{64}$/);
  });
  test('an unknown format is a runtime error, not a throw', () => {
    const o = runWorkflow({ ...FLOW, format: 'x' as typeof COMPILED_FORMAT }, yes, null, ctx());
    assert.equal(o.error?.code, 'WF_RUNTIME');
    assert.equal(o.handled, false);
  });
});

describe('runWorkflow', () => {
  test('a signal asks the question with quick replies and arms its timeout and the daily schedule', () => {
    const o = runWorkflow(FLOW, { kind: 'signal', type: 'refill_due', attributes: { medication: 'Metformin' } }, null, ctx());
    assert.equal(o.replies[0]?.text, 'Ready Metformin?');
    assert.deepEqual(o.replies[0]?.quickReplies, ['Yes', 'No']);
    assert.equal(o.replies[0]?.templateId, null);
    assert.deepEqual(o.timers.map((t) => [t.id.split(':')[0], t.at - T0]), [['ask', 7_200_000], ['sched', 5_400_000]]);
    assert.equal(o.ended, false);
    assert.equal(o.handled, true);
  });
  test('the daily schedule is the patient\'s wall-clock time: 10:30 in Madrid is 09:30 UTC in winter', () => {
    const o = runWorkflow(FLOW, { kind: 'signal', type: 'refill_due', attributes: { medication: 'Metformin' } }, null, ctx({ timeZone: 'Europe/Madrid' }));
    const sched = o.timers.find((t) => t.id.startsWith('sched:'));
    assert.equal(new Date(sched?.at ?? 0).toISOString(), '2026-01-05T09:30:00.000Z');
    // At 10:00 in New York (15:00 UTC) the next 10:30 is today's, at 15:30 UTC.
    const ny = runWorkflow(FLOW, { kind: 'signal', type: 'refill_due', attributes: { medication: 'Metformin' } }, null, ctx({ now: Date.parse('2026-01-05T15:00:00Z'), timeZone: 'America/New_York' }));
    assert.equal(new Date(ny.timers.find((t) => t.id.startsWith('sched:'))?.at ?? 0).toISOString(), '2026-01-05T15:30:00.000Z');
  });
  test('yes runs its branch: action with attributes, reply, conversation ends', () => {
    const o = runWorkflow(FLOW, yes, start().state, ctx());
    assert.deepEqual(o.actions, [{ type: 'notify_pharmacy', attributes: { medication: 'Metformin' } }]);
    assert.equal(o.replies[0]?.text, 'Done.');
    assert.equal(o.ended, true);
    assert.equal(o.state?.question, null);
  });
  test('an invalid answer re-prompts; past the retry limit the otherwise branch runs', () => {
    const first = runWorkflow(FLOW, msg('banana'), start().state, ctx());
    assert.match(first.replies[0]?.text ?? '', /^Sorry, I did not get that\. Ready Metformin\?/);
    assert.equal(first.state?.question?.retries, 1);
    const second = runWorkflow(FLOW, msg('purple'), first.state, ctx());
    assert.deepEqual(second.actions.map((a) => a.type), ['handoff']);
    assert.equal(second.ended, true);
  });
  test('the question times out through "when timeout"; a stale timer is ignored', () => {
    const s = start();
    const askTimer = s.timers.find((t) => t.id.startsWith('ask:'));
    assert.ok(askTimer !== undefined);
    const o = runWorkflow(FLOW, { kind: 'timer', timerId: askTimer.id }, s.state, ctx({ now: askTimer.at }));
    assert.equal(o.replies[0]?.text, 'No answer.');
    const again = runWorkflow(FLOW, { kind: 'timer', timerId: askTimer.id }, o.state, ctx({ now: askTimer.at }));
    assert.equal(again.handled, false);
  });
  test('wait pauses the run until its timer fires', () => {
    const no = runWorkflow(FLOW, msg('no', 'opt_out', [{ type: 'yes_no', value: 'no', text: 'no' }]), start().state, ctx());
    assert.equal(no.replies.length, 0);
    const wait = no.timers.find((t) => t.id.startsWith('wait:'));
    assert.equal(wait?.at, T0 + 86_400_000);
    assert.equal(no.state?.sleepers.length, 1);
    const woke = runWorkflow(FLOW, { kind: 'timer', timerId: wait?.id ?? '' }, no.state, ctx({ now: wait?.at ?? 0 }));
    assert.equal(woke.replies[0]?.text, 'Reminder about Metformin.');
  });
  test('an anytime intent answers during a question, then the question is asked again', () => {
    const o = runWorkflow(FLOW, msg('help', 'help'), start().state, ctx());
    assert.deepEqual(o.replies.map((r) => r.text.startsWith('Ready') ? 'question' : 'help'), ['help', 'question']);
    assert.equal(o.replies[0]?.variants.length, 2);
    assert.equal(o.state?.question?.retries, 0);
  });
  test('conditions read the profile; call runs a sub-workflow with arguments', () => {
    const low = runWorkflow(FLOW, msg('hi', 'greeting'), null, ctx({ profile: { adherence_30d: 0.5 }, subworkflows: { verify: SUB } }));
    assert.deepEqual(low.replies.map((r) => r.text), ['Low.', 'Verifying patient.']);
    const good = runWorkflow(FLOW, msg('hi', 'greeting'), null, ctx({ profile: { adherence_30d: 0.9 }, subworkflows: { verify: SUB } }));
    assert.equal(good.replies[0]?.text, 'Good.');
  });
  test('a missing sub-workflow is a WF_RUNTIME outcome with the step and the state unchanged', () => {
    const o = runWorkflow(FLOW, msg('hi', 'greeting'), null, ctx());
    assert.equal(o.error?.code, 'WF_RUNTIME');
    assert.equal(o.error?.step, 's13');
    assert.equal(o.state, null);
    assert.equal(o.replies.length, 0);
  });
  test('an unmatched message is not handled, so the host falls back', () => {
    const o = runWorkflow(FLOW, msg('thanks', 'thanks'), null, ctx());
    assert.equal(o.handled, false);
    assert.deepEqual(o.replies, []);
  });
  test('a daily schedule fires once and re-arms the next day', () => {
    const first = runWorkflow(FLOW, msg('x', 'thanks'), null, ctx());
    const timer = first.timers[0];
    assert.ok(timer !== undefined && timer.at === T0 + 5_400_000);
    const fired = runWorkflow(FLOW, { kind: 'timer', timerId: timer.id }, first.state, ctx({ now: timer.at }));
    assert.equal(fired.replies[0]?.text, 'Daily.');
    assert.equal(fired.timers[0]?.at, timer.at + 86_400_000);
    assert.equal(runWorkflow(FLOW, { kind: 'timer', timerId: timer.id }, fired.state, ctx({ now: timer.at })).handled, false);
  });
  test('speaks the conversation language and is deterministic', () => {
    const a = runWorkflow(FLOW, { kind: 'signal', type: 'refill_due', attributes: { medication: 'M' } }, null, ctx({ language: 'es' }));
    const b = runWorkflow(FLOW, { kind: 'signal', type: 'refill_due', attributes: { medication: 'M' } }, null, ctx({ language: 'es' }));
    assert.equal(a.replies[0]?.text, '¿Listo M?');
    assert.deepEqual(a.replies[0]?.quickReplies, ['Sí', 'No']);
    assert.deepEqual(a, b);
  });
  test('a state from another version keeps its slots and drops the pending question', () => {
    const s = start().state;
    assert.ok(s !== null);
    const o = runWorkflow(FLOW, yes, { ...s, version: 1 }, ctx());
    assert.equal(o.handled, false);
  });
});

describe('expressions at run time', () => {
  const wf = (cond: string): CompiledWorkflow => mustCompile(`workflow "e" version 1\nlanguages en\non intent help\n  if ${cond}\n    say "T"\n  else\n    say "F"\n  end\nend\n`, defaultCatalog(['en']));
  const run = (cond: string, profile: WorkflowContext['profile'] = {}): string => runWorkflow(wf(cond), msg('help', 'help'), null, ctx({ profile })).replies[0]?.text ?? '';
  test('comparisons, percentages, durations, times, and/or/not', () => {
    assert.equal(run('adherence_30d < 80% and not first_visit', { adherence_30d: 0.7, first_visit: false }), 'T');
    assert.equal(run('adherence_30d < 80% or segment = "new"', { adherence_30d: 0.9, segment: 'NEW' }), 'T');
    assert.equal(run('time_of_day >= 09:00 and weekday = "monday"'), 'T');
    assert.equal(run('days_until(next_appointment_at) <= 3', { next_appointment_at: '2026-01-07T09:00:00Z' }), 'T');
    assert.equal(run('now + 2 days > next_appointment_at', { next_appointment_at: '2026-01-06T09:00:00Z' }), 'T');
  });
  test('the clock reads in the patient\'s time zone: 09:00 Monday UTC is 04:00 Monday in New York and 18:00 in Tokyo', () => {
    const at = (cond: string, timeZone: string): string => runWorkflow(wf(cond), msg('help', 'help'), null, ctx({ timeZone })).replies[0]?.text ?? '';
    assert.equal(at('time_of_day < 05:00 and weekday = "monday" and today = "2026-01-05"', 'America/New_York'), 'T');
    assert.equal(at('time_of_day >= 18:00 and weekday = "monday"', 'Asia/Tokyo'), 'T');
    assert.equal(at('time_of_day >= 09:00', 'No/Such_Zone'), 'T', 'an unknown zone reads as UTC');
  });
  test('a missing profile field makes comparisons false, not errors', () => {
    assert.equal(run('adherence_30d < 80%'), 'F');
    assert.equal(run('not exists(segment)'), 'T');
  });
  test('compiling never evaluates: a hostile-looking text stays text', () => {
    const r = compileWorkflow('workflow "x" version 1\non intent help\n  if segment = "process.exit(1)"\n    say "a"\n  end\nend\n', defaultCatalog(['en']));
    assert.ok(r.ok);
  });
});
