import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { applyRules, smsKeyword } from './rules.js';
import { loadTrainingExamples } from '../safety/dataset.js';
import { emergencyDetector, trainEmergencyModel, type EmergencyDetector } from '../safety/emergency.js';
import { extractEntities, editDistance } from './entities.js';
import { createDateParsers } from './dates.js';
import { localeLanguage } from './language.js';
import { IntentModel, trainModel, type UnderstandOptions } from './nlu.js';

// Wednesday 2025-03-12, 10:00 UTC.
const NOW = new Date('2025-03-12T10:00:00Z');
const parsers = createDateParsers();
const opts = (over: Partial<UnderstandOptions> = {}): UnderstandOptions => ({ locale: null, medications: [], now: NOW, ...over });

// The real emergency detector, trained from the shipped tuning and dev sets (under a second).
const detectorPromise: Promise<EmergencyDetector> = loadTrainingExamples().then((ex) => emergencyDetector(trainEmergencyModel(ex)));
const isEmergency = async (text: string): Promise<boolean> => (await detectorPromise).assess(text) !== null;

// A tiny corpus is enough to exercise rules, language handling and entities around the classifier.
async function tinyModel(): Promise<IntentModel> {
  const dir = await mkdtemp(join(tmpdir(), 'intent-corpus-'));
  try {
    await writeFile(join(dir, 'en.json'), JSON.stringify({
      greeting: ['hi', 'hello', 'good morning'], medication_taken: ['i took my pills', 'took it', 'yes i took my meds'],
      book_appointment: ['book an appointment', 'i need to see a doctor'], None: ['what is the weather', 'tell me a joke'],
    }));
    await writeFile(join(dir, 'es.json'), JSON.stringify({
      greeting: ['hola', 'buenos días', 'buenas tardes'], medication_taken: ['ya tomé mis pastillas', 'me la tomé', 'sí ya me la tomé'],
      book_appointment: ['quiero una cita', 'necesito ver al doctor'], None: ['qué tiempo hace', 'cuéntame un chiste'],
    }));
    return IntentModel.fromJSON(await trainModel(dir), await detectorPromise);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
const modelPromise = tinyModel();

test('SMS keywords as the whole message opt out or in, in any case, in English and Spanish', () => {
  for (const k of ['STOP', 'stop', 'Stop.', ' STOPALL ', 'unsubscribe', 'CANCEL', 'end', 'Quit', 'PARAR', 'baja', 'Alto!']) {
    assert.equal(smsKeyword(k)?.intent, 'opt_out', k);
  }
  for (const k of ['START', 'unstop', 'ALTA']) assert.equal(smsKeyword(k)?.intent, 'opt_in', k);
  assert.equal(smsKeyword('cancel my appointment'), null);
  assert.equal(smsKeyword('stop by the pharmacy'), null);
});

test('given a keyword message, understand answers with confidence 1 and the keyword language', async () => {
  const model = await modelPromise;
  assert.deepEqual(await model.understand('STOP', opts()), { intent: 'opt_out', confidence: 1, language: 'en', entities: [] });
  const baja = await model.understand('BAJA', opts());
  assert.equal(baja.intent, 'opt_out');
  assert.equal(baja.language, 'es');
  assert.equal((await model.understand('start', opts({ locale: 'es-MX' }))).language, 'es');
  assert.equal((await model.understand('Cancel', opts())).intent, 'opt_out');
});

test('emergencies are found inside longer messages, in English', async () => {
  for (const t of [
    'hi, i took my pills this morning but now i have chest pain and feel sweaty',
    "I can't breathe properly since an hour ago, what do I do",
    'honestly i have been thinking about suicide lately',
    'sometimes I want to kill myself, I am tired',
    'I want to end my life',
    'i think i took too many pills by mistake',
    'pretty sure this is an overdose',
    'my chest hurts a lot',
  ]) assert.equal(await isEmergency(t), true, t);
});

test('emergencies are found inside longer messages, in Spanish', async () => {
  for (const t of [
    'hola, desde la mañana tengo dolor de pecho y sudo mucho',
    'No puedo respirar bien, ayuda',
    'ya no aguanto, quiero morir',
    'estoy pensando en suicidarme',
    'me tomé demasiadas pastillas',
    'creo que es una sobredosis',
    'me duele mucho el pecho',
    'quiero quitarme la vida',
  ]) assert.equal(await isEmergency(t), true, t);
});

test('ordinary messages are not emergencies', async () => {
  for (const t of ['i took my pills', 'this headache is killing me', 'my chest x-ray appointment', 'ya me tomé las pastillas', 'cancel my appointment']) {
    assert.equal(await isEmergency(t), false, t);
  }
});

test('an emergency overrides the classifier with confidence 1', async () => {
  const model = await modelPromise;
  const u = await model.understand('good morning! i took my pills but i have chest pain', opts());
  assert.equal(u.intent, 'emergency');
  assert.equal(u.confidence, 1);
  assert.equal((await model.understand('hola, tengo dolor de pecho', opts())).intent, 'emergency');
  assert.equal(u.emergency?.category, 'cardiac');
});

test('an emergency the detector does not see is not one: the old keyword list no longer decides', async () => {
  const model = await modelPromise;
  // The old list flagged both: "going to die" in a joke, "took too many" of anything.
  assert.notEqual((await model.understand("i'm going to die if i eat one more salad lol", opts())).intent, 'emergency');
  assert.notEqual((await model.understand('i took too many photos at the party', opts())).intent, 'emergency');
  assert.notEqual((await model.understand('no chest pain today, took my pills', opts())).intent, 'emergency');
  assert.equal(applyRules('no chest pain today', await detectorPromise), null);
  assert.equal(applyRules('STOP', await detectorPromise)?.intent, 'opt_out');
});

test('dates are resolved relative to now in English', () => {
  const [d] = extractEntities(parsers, 'book me next Tuesday at 3pm', { language: 'en', medications: [], now: NOW });
  assert.deepEqual(d, { type: 'datetime', value: '2025-03-18T15:00:00.000Z', text: 'next Tuesday at 3pm', start: 8, end: 27 });
  const [soon] = extractEntities(parsers, 'remind me in 10 minutes', { language: 'en', medications: [], now: NOW });
  assert.equal(soon?.value, '2025-03-12T10:10:00.000Z');
});

test('dates are resolved relative to now in Spanish, with the afternoon folded in', () => {
  const [d] = extractEntities(parsers, 'mañana a las 5', { language: 'es', medications: [], now: NOW });
  assert.equal(d?.value, '2025-03-13T05:00:00.000Z');
  assert.equal(d?.text, 'mañana a las 5');
  const [pm] = extractEntities(parsers, 'el martes a las 3 de la tarde', { language: 'es', medications: [], now: NOW });
  assert.equal(pm?.value, '2025-03-18T15:00:00.000Z');
  assert.equal(pm?.text, 'martes a las 3 de la tarde');
});

test('dates are read in the patient time zone when given', () => {
  const [d] = extractEntities(parsers, 'tomorrow at 9am', { language: 'en', medications: [], now: NOW, timeZone: 'America/Mexico_City' });
  assert.equal(d?.value, '2025-03-13T15:00:00.000Z');
});

test('medications from the patient list are matched case-insensitively and with one typo', () => {
  const meds = ['Metformin', 'Lisinopril', 'Vitamin D', 'ASA'];
  const e = extractEntities(parsers, 'took my METFORMIN and lisinoprill, also vitamin d', { language: 'en', medications: meds, now: NOW });
  assert.deepEqual(e.filter((x) => x.type === 'medication').map((x) => [x.value, x.text]), [
    ['Metformin', 'METFORMIN'], ['Lisinopril', 'lisinoprill'], ['Vitamin D', 'vitamin d'],
  ]);
  const missing = extractEntities(parsers, 'i forgot my metfrmin', { language: 'en', medications: meds, now: NOW });
  assert.deepEqual(missing.map((x) => [x.type, x.value, x.start, x.end]), [['medication', 'Metformin', 12, 20]]);
  // Short names must match exactly: one letter off "ASA" is another word.
  assert.equal(extractEntities(parsers, 'took an asap', { language: 'en', medications: meds, now: NOW }).length, 0);
  assert.equal(extractEntities(parsers, 'metformina', { language: 'es', medications: ['Metformin'], now: NOW })[0]?.value, 'Metformin');
});

test('yes/no answers in English and Spanish', () => {
  const yn = (t: string, language: 'en' | 'es' = 'en'): string | undefined =>
    extractEntities(parsers, t, { language, medications: [], now: NOW }).find((e) => e.type === 'yes_no')?.value;
  for (const t of ['yes', 'Yeah', 'yep!', 'y', 'sure', 'ok', 'yes i took it']) assert.equal(yn(t), 'yes', t);
  for (const t of ['si', 'Sí', 'claro que sí']) assert.equal(yn(t, 'es'), 'yes', t);
  for (const t of ['no', 'NOPE', 'n', 'nah', 'no, se me olvidó']) assert.equal(yn(t), 'no', t);
  assert.equal(yn('y luego'), undefined);
  assert.equal(yn('not sure'), undefined);
});

test('numbers outside dates', () => {
  const e = extractEntities(parsers, 'my code is 482913 and temp 38,5', { language: 'en', medications: [], now: NOW });
  assert.deepEqual(e.map((x) => [x.type, x.value]), [['number', '482913'], ['number', '38.5']]);
  const withDate = extractEntities(parsers, 'take two pills at 3pm', { language: 'en', medications: [], now: NOW });
  assert.deepEqual(withDate.map((x) => x.type), ['number', 'datetime']);
});

test('locales map to the language we serve, others are detected', async () => {
  assert.equal(localeLanguage('es-MX'), 'es');
  assert.equal(localeLanguage('ES_es'), 'es');
  assert.equal(localeLanguage('en-GB'), 'en');
  assert.equal(localeLanguage('fr-FR'), null);
  assert.equal(localeLanguage(null), null);
  const model = await modelPromise;
  assert.equal((await model.understand('ok', opts({ locale: 'es' }))).language, 'es');
  assert.equal((await model.understand('hello', opts({ locale: 'es-MX' }))).language, 'es');
  assert.equal((await model.understand('si', opts())).language, 'es');
  assert.equal((await model.understand('sí, ya me la tomé', opts())).language, 'es');
  assert.equal((await model.understand('yes i took it', opts())).language, 'en');
  assert.equal((await model.understand('ok', opts({ locale: 'fr' }))).language, 'en');
});

test('edit distance', () => {
  assert.equal(editDistance('metformin', 'metfromin', 2), 2);
  assert.equal(editDistance('advil', 'advl', 1), 1);
  assert.equal(editDistance('abc', 'abcdef', 1), 2);
});

test('an empty message is fallback and a model in another format is refused', async () => {
  const model = await modelPromise;
  assert.equal((await model.understand('   ', opts())).intent, 'fallback');
  assert.throws(() => IntentModel.fromJSON('{"format":"other"}'), { code: 'CONFIG_INVALID' });
});
