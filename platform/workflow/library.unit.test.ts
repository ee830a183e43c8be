import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { defaultCatalog } from './catalog.js';
import { compileWorkflow } from './compiler.js';
import { formatTranscript, simulate, type Script, type SimulationOptions } from './simulator.js';
import { librarySource, mustCompile, realUnderstanding } from './test-support.js';

const LIBRARY = ['default', 'medication-adherence', 'refill-pickup', 'appointment-booking', 'post-discharge', 'onboarding'];
const VARIABLES = { org: 'Riverside Clinic', emergency: '911', pharmacy: 'Main St Pharmacy' };
let understand: SimulationOptions['understand'];

before(async () => { understand = await realUnderstanding(['Metformin', 'Lisinopril']); });

/** Runs a script against a library workflow with the real NLU; a failure prints the transcript. */
async function check(name: string, script: Omit<Script, 'start' | 'variables'> & { start?: string }): Promise<void> {
  const wf = mustCompile(librarySource(name));
  const t = await simulate(wf, { start: '2026-01-05T09:00:00Z', variables: VARIABLES, ...script }, { understand });
  assert.ok(t.passed, `\n${formatTranscript(t)}`);
}

describe('the library compiles against the default catalog, with no problems at all', () => {
  for (const name of LIBRARY) {
    test(name, () => {
      const r = compileWorkflow(librarySource(name), defaultCatalog(['en', 'es']));
      assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.problems));
      assert.deepEqual(r.warnings, []);
    });
  }
});

describe('default.flow', () => {
  test('greeting, adherence with the medication named, help, handoff (en)', () => check('default', { language: 'en', steps: [
    { patient: 'hello' }, { expect: { reply: 'care assistant of Riverside Clinic' } },
    { patient: 'I took my metformin' }, { expect: { reply: 'recorded your Metformin', action: 'record_adherence' } },
    { patient: 'what can you do' }, { expect: { reply: 'I took my medication' } },
    { patient: 'I want to talk to a person' }, { expect: { action: 'handoff', reply: 'connecting you' } },
  ] }));
  test('skipped dose asks why; "I forgot" sets a reminder (en)', () => check('default', { language: 'en', steps: [
    { patient: 'I skipped my pills today' }, { expect: { action: 'record_adherence', reply: 'hard to take', quickReplies: ['Side effects', 'I forgot', 'Talk to someone'], ended: false } },
    { patient: 'I forgot' }, { expect: { action: 'set_reminder', ended: true } },
  ] }));
  test('symptoms escalate, snooze uses the time said, requests are forwarded, nonsense falls back (en)', () => check('default', { language: 'en', steps: [
    { patient: 'I feel dizzy and sick' }, { expect: { action: 'escalate', reply: 'call 911' } },
    { patient: 'remind me tomorrow at 9am' }, { expect: { action: 'set_reminder', reply: 'remind you again' } },
    { patient: 'I need a refill' }, { expect: { action: 'emit', reply: 'request about your prescription refill' } },
      // Regression: the internal label showed in the reply ("your request (refill)").
      { expect: { reply: '/^(?!.*\\(refill\\))/' } },
    { patient: 'banana' }, { expect: { reply: 'did not get that' } },
  ] }));
  test('speaks Spanish', () => check('default', { language: 'es', steps: [
    { patient: 'hola' }, { expect: { reply: 'asistente de cuidado de Riverside Clinic' } },
    { patient: 'necesito una receta' }, { expect: { reply: 'solicitud sobre su receta' } },
  ] }));
});

describe('medication-adherence.flow', () => {
  const dose = { signal: 'dose_due', attributes: { medication: 'Metformin' } };
  test('yes records the dose and praises a streak', () => check('medication-adherence', { language: 'en', profile: { streak_days: 9 }, steps: [
    dose, { expect: { reply: 'Have you taken it?', ended: false } },
    { patient: 'yes' }, { expect: { action: 'record_adherence', reply: '9 days in a row', ended: true } },
  ] }));
  test('no → forgot → asked again 30 minutes later', () => check('medication-adherence', { language: 'en', steps: [
    dose, { patient: 'no, not yet' }, { expect: { reply: 'What got in the way?' } },
    { patient: 'I forgot' }, { expect: { reply: '30 minutes' } },
    { advance: '30m' }, { expect: { reply: 'Have you been able to take your Metformin now?' } },
    { patient: 'yes' }, { expect: { action: 'record_adherence', reply: 'Metformin' } },
  ] }));
  test('side effects escalate; running out notifies the pharmacy', () => check('medication-adherence', { language: 'en', steps: [
    dose, { patient: 'no' }, { patient: 'Side effects' }, { expect: { action: 'escalate', reply: 'call 911' } },
    dose, { patient: 'no' }, { patient: '3' }, { expect: { action: 'notify_pharmacy', reply: 'Main St Pharmacy' } },
  ] }));
  test('invalid answers re-prompt, then the retry limit gives up politely', () => check('medication-adherence', { language: 'en', steps: [
    dose, { patient: 'banana' }, { expect: { reply: 'Please answer yes or no', ended: false } },
    { patient: 'purple' }, { expect: { reply: 'Please answer yes or no' } },
    { patient: 'what?' }, { expect: { reply: 'next dose', action: 'record_adherence', ended: true } },
  ] }));
  test('silence for two hours records an unknown dose and sets a reminder', () => check('medication-adherence', { language: 'en', steps: [
    dose, { advance: '1h' }, { expect: { noAction: 'set_reminder' } },
    { advance: '1h' }, { expect: { action: 'set_reminder', ended: true } },
  ] }));
  test('the daily nudge goes only to patients under 80% adherence', async () => {
    await check('medication-adherence', { language: 'en', profile: { preferred_time: '18:00', adherence_30d: 0.6, first_visit: false }, steps: [
      { patient: 'I took my metformin' }, { advance: '9h' }, { expect: { reply: 'small reminder from Riverside Clinic' } },
    ] });
    await check('medication-adherence', { language: 'en', profile: { preferred_time: '18:00', adherence_30d: 0.95, first_visit: false }, steps: [
      { patient: 'I took my metformin' }, { advance: '9h' }, { expect: { noReply: true } },
    ] });
  });
  test('Spanish', () => check('medication-adherence', { language: 'es', steps: [
    dose, { expect: { reply: '¿Ya lo tomó?', quickReplies: ['Sí', 'No'] } }, { patient: 'sí' }, { expect: { action: 'record_adherence' } },
  ] }));
});

describe('refill-pickup.flow', () => {
  const due = { signal: 'refill_due', attributes: { medication: 'Lisinopril', pharmacy: 'Main St Pharmacy', ready_time: '4pm' } };
  test('yes notifies the pharmacy, then checks the pickup two days later', () => check('refill-pickup', { language: 'en', steps: [
    due, { expect: { reply: '/Lisinopril refill|refill your Lisinopril/' } },
    { patient: 'yes please' }, { expect: { action: 'notify_pharmacy', reply: 'after 4pm' } },
    { advance: '2d' }, { expect: { reply: 'Did you pick up your Lisinopril' } },
    { patient: 'yes' }, { expect: { reply: 'thanks for letting me know', ended: true } },
  ] }));
  test('not picked up → a reminder; no answer → a reminder too', () => check('refill-pickup', { language: 'en', steps: [
    due, { patient: 'yes' }, { advance: '2d' }, { patient: 'no' }, { expect: { action: 'set_reminder', reply: 'tomorrow' } },
    due, { patient: 'yes' }, { advance: '3d' }, { expect: { action: 'set_reminder' } },
  ] }));
  test('no → remind tomorrow; invalid answers run out into "ask again tomorrow"', () => check('refill-pickup', { language: 'en', steps: [
    due, { patient: 'no' }, { expect: { action: 'set_reminder', noAction: 'notify_pharmacy' } },
    due, { patient: 'banana' }, { expect: { reply: 'Please answer yes or no' } }, { patient: 'hmm' }, { patient: 'pizza' },
    { expect: { reply: 'ask again tomorrow', action: 'set_reminder' } },
  ] }));
  test('a dispense ready at the pharmacy is announced with its name', () => check('refill-pickup', { language: 'en', steps: [
    { signal: 'pickup_due', attributes: { medication: 'Lisinopril' } }, { expect: { reply: 'Your Lisinopril is ready to pick up at Main St Pharmacy' } },
  ] }));
  test('patient-initiated refill request (es)', () => check('refill-pickup', { language: 'es', steps: [
    { patient: 'necesito una receta' }, { expect: { action: 'notify_pharmacy', reply: 'Main St Pharmacy' } },
  ] }));
});

describe('appointment-booking.flow', () => {
  const slots = { signal: 'appointment_slots_offered', attributes: { slot_1: '2026-01-07T10:00:00Z', slot_2: '2026-01-08T14:30:00Z', slot_3: '2026-01-09T09:00:00Z' } };
  test('book: visit type → availability → slot choice → confirmation → reminder the day before', () => check('appointment-booking', { language: 'en', steps: [
    { patient: 'I need to book an appointment' }, { expect: { reply: 'What is the appointment for?', quickReplies: ['A check-up', 'A follow-up', 'Something else'] } },
    { patient: 'a follow-up please' }, { expect: { action: 'find_service', slot: { visit: 'follow_up' } } },
    slots, { expect: { reply: 'Which suits you?', quickReplies: ['Wed 7 Jan, 10:00', 'Thu 8 Jan, 14:30', 'Fri 9 Jan, 09:00', 'None of these'] } },
    { patient: 'the second one' }, { expect: { action: 'book_appointment', reply: 'Booking it now' } },
    { signal: 'appointment_booked', attributes: { appointment_id: 'apt-1', starts_at: '2026-01-08T14:30:00Z' } }, { expect: { reply: 'confirmed for Thu 8 Jan, 14:30' } },
    { advance: '2d6h' }, { expect: { noReply: true } },
    { signal: 'appointment_due', attributes: { appointment_id: 'apt-1', starts_at: '2026-01-08T14:30:00Z', lead_minutes: '1440' } }, { expect: { reply: 'your appointment is tomorrow, Thu 8 Jan, 14:30' } },
    { patient: 'no' }, { expect: { action: 'cancel_appointment' } },
  ] }));
  test('the engine\'s 2 h reminder says the time and asks nothing', () => check('appointment-booking', { language: 'en', steps: [
    { signal: 'appointment_due', attributes: { appointment_id: 'apt-1', starts_at: '2026-01-08T14:30:00Z', lead_minutes: '120' } }, { expect: { reply: 'your appointment is soon, at Thu 8 Jan, 14:30', noAction: 'cancel_appointment' } },
  ] }));
  test('none of the slots hands over; an unclear visit type hands over after retries', () => check('appointment-booking', { language: 'en', steps: [
    slots, { patient: '4' }, { expect: { action: 'handoff', ended: true } },
    { patient: 'book an appointment' }, { patient: 'banana' }, { expect: { reply: 'Please pick 1, 2 or 3' } },
    { patient: 'pizza' }, { patient: 'no idea' }, { expect: { action: 'handoff', noAction: 'find_service' } },
  ] }));
  test('slot offer left unanswered times out', () => check('appointment-booking', { language: 'en', steps: [
    slots, { advance: '4h' }, { expect: { reply: 'hold off', ended: true } },
  ] }));
  test('cancel asks for confirmation (es)', () => check('appointment-booking', { language: 'es', steps: [
    { patient: 'quiero cancelar mi cita' }, { expect: { reply: '¿Quiere que cancele su cita?' } },
    { patient: 'sí' }, { expect: { action: 'cancel_appointment' } },
  ] }));
  test('the service named in the request travels with the search; a lost race offers other times; the hospital\'s refusal is said as such', () => check('appointment-booking', { language: 'en', steps: [
    { patient: 'I need a cardiology appointment' }, { patient: 'a check-up' }, { expect: { action: 'find_service', slot: { service: 'cardiology' } } },
    slots, { patient: '1' }, { expect: { action: 'book_appointment' } },
    { signal: 'appointment_slot_taken', attributes: { slot_1: '2026-01-08T14:30:00Z', slot_2: '2026-01-09T09:00:00Z', slot_3: '' } }, { expect: { reply: 'someone has just taken that time' } },
    { patient: '1' }, { expect: { action: 'book_appointment', reply: 'Booking it now' } },
    { signal: 'appointment_refused', attributes: { reason: 'hospital_unavailable', starts_at: '2026-01-08T14:30:00Z' } }, { expect: { reply: 'did not answer, so your appointment for Thu 8 Jan, 14:30 is not booked' } },
  ] }));
  test('finding a service (es): the reasons come back; nothing fits offers the care team', () => check('appointment-booking', { language: 'es', steps: [
    { patient: '¿dónde hay un laboratorio?' }, { expect: { action: 'find_service', reply: 'Déjeme buscarlo' } },
    { signal: 'services_found', attributes: { service_count: '1', service_1: 'Laboratorio Central: ofrece análisis de laboratorio' } }, { expect: { reply: 'Esto encaja con lo que pidió: Laboratorio Central' } },
    { signal: 'services_not_found', attributes: {} }, { expect: { reply: 'hablar con alguien' } },
  ] }));
  test('a no-show is followed up with an offer to rebook', () => check('appointment-booking', { language: 'en', steps: [
    { signal: 'appointment_no_show', attributes: { starts_at: '2026-01-08T14:30:00Z' } }, { expect: { reply: 'We missed you' } },
    { patient: 'yes' }, { expect: { action: 'find_service' } },
  ] }));
});

describe('post-discharge.flow', () => {
  const discharge = { signal: 'discharge', attributes: { ward: 'cardiology' } };
  test('worse with severe pain escalates urgently', () => check('post-discharge', { language: 'en', steps: [
    discharge, { expect: { reply: 'Welcome home' } },
    { advance: '1d' }, { expect: { reply: 'How are you feeling today' } },
    { patient: 'I feel worse' }, { expect: { reply: '0 to 10' } },
    { patient: 'banana' }, { expect: { reply: 'number from 0 to 10' } },
    { patient: '8' }, { expect: { action: 'escalate', reply: 'nurse', ended: true } },
  ] }));
  test('better, a fever, then the second check-in', () => check('post-discharge', { language: 'en', steps: [
    discharge, { advance: '1d' }, { patient: 'better' }, { expect: { reply: 'temperature' } },
    { patient: '38.4' }, { expect: { action: 'escalate', reply: 'fever' } },
    { advance: '2d' }, { expect: { reply: 'still feeling well' } }, { patient: 'yes' }, { expect: { reply: 'Wonderful' } },
  ] }));
  test('silence escalates; a symptom report at any time escalates and re-asks', () => check('post-discharge', { language: 'en', steps: [
    discharge, { advance: '1d' }, { patient: 'I have a headache' }, { expect: { action: 'escalate', reply: 'How are you feeling today' } },
    { advance: '8h' }, { expect: { action: 'escalate', ended: true } },
  ] }));
  test('Spanish: peor → dolor', () => check('post-discharge', { language: 'es', steps: [
    discharge, { advance: '1d' }, { patient: 'peor' }, { expect: { reply: 'Del 0 al 10' } }, { patient: '3' }, { expect: { action: 'escalate' } },
  ] }));
});

describe('onboarding.flow', () => {
  test('verify, consent, preferred time', () => check('onboarding', { language: 'en', steps: [
    { patient: 'hello' }, { expect: { reply: 'What year were you born?' } },
    { patient: '1956' }, { expect: { action: 'verify_identity', reply: 'May Riverside Clinic send you reminders' } },
    { patient: 'yes' }, { expect: { action: 'record_consent', reply: 'best time' } },
    { patient: 'evening' }, { expect: { action: 'emit', reply: 'in the evening', ended: true } },
  ] }));
  test('three bad years hand over; help during a question explains and re-asks', () => check('onboarding', { language: 'en', steps: [
    { patient: 'hi' }, { patient: 'what can you do' }, { expect: { reply: 'What year were you born?' } },
    { patient: 'banana' }, { expect: { reply: 'four digits' } }, { patient: '3000' }, { patient: 'no' },
    { expect: { action: 'handoff', ended: true, noAction: 'verify_identity' } },
  ] }));
  test('no consent ends without reminders; verified patients are welcomed back', async () => {
    await check('onboarding', { language: 'en', steps: [
      { patient: 'hello' }, { patient: '1970' }, { patient: 'no' }, { expect: { reply: 'no reminders', ended: true } },
    ] });
    await check('onboarding', { language: 'es', profile: { verified: true }, steps: [
      { patient: 'hola' }, { expect: { reply: 'Bienvenido de nuevo', ended: true } },
    ] });
  });
});
