import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTrainingExamples } from './dataset.js';
import { emergencyDetector, parseEmergencyModel, rulesOnlyDetector, trainEmergencyModel, type EmergencyCategory } from './emergency.js';
import { typoDistance } from './normalize.js';

const detectorPromise = loadTrainingExamples().then((ex) => emergencyDetector(trainEmergencyModel(ex)));

async function category(text: string): Promise<EmergencyCategory | null> {
  return (await detectorPromise).assess(text)?.category ?? null;
}

/** Each text is read as no emergency (the text names the failing case). */
async function noneOf(texts: readonly string[]): Promise<void> {
  for (const t of texts) assert.equal(await category(t), null, t);
}

test('negated, long past, resolved and asked-about conditions are not emergencies', async () => {
  await noneOf([
    'no chest pain today', 'the pressure in my chest went away on Friday', 'I had a stroke in 2019', 'what are the signs of a stroke?',
    'I do not have any trouble breathing', 'how do you recognise a heart attack?', 'my mother died of a heart attack in 1998',
    'no tengo dolor de pecho', 'la presión en el pecho se me quitó el viernes', 'tuve un derrame hace cinco años', '¿cuáles son los síntomas de un infarto?',
    'nunca he tenido convulsiones', 'qué hago si alguien se está ahogando?',
  ]);
});

test('figures of speech are not emergencies', async () => {
  await noneOf([
    "I'm dying to see my grandkids", "you're killing it", 'this traffic is killing me', 'my heart skipped a beat lol',
    'i laughed so hard i couldnt breathe 😂', 'me muero de risa', 'me muero de ganas de verte', 'casi me da un infarto con la cuenta de la luz',
  ]);
});

test('someone else in danger is an emergency, and a situation now overrides one in the past', async () => {
  assert.equal(await category('my dad just collapsed'), 'unconscious');
  assert.equal(await category('mi papá se desmayó y no despierta'), 'unconscious');
  assert.equal(await category('I had a stroke in 2019 and now my face is drooping'), 'stroke');
  assert.equal(await category('no chest pain yesterday but now my chest hurts a lot'), 'cardiac');
  assert.equal(await category("I won't be a burden much longer"), 'self_harm');
  assert.equal(await category('ya no seré una carga por mucho tiempo'), 'self_harm');
  assert.equal(await category('took double my insulin and now im shaky and sweaty'), 'poisoning');
  assert.equal(await category('estoy embarazada y estoy sangrando mucho'), 'pregnancy');
});

test('laughter does not hide self-harm (teens joke about what they mean), while a joke about anything else stays a joke', async () => {
  for (const t of ['lol i want to die', 'kms lmao i cant anymore', 'haha gonna end it tonight fr', 'me quiero morir jajaja en serio']) {
    assert.equal(await category(t), 'self_harm', t);
  }
  await noneOf(['i laughed so hard i couldnt breathe lol', 'if i eat one more salad ill kill myself lol', 'i walked 5 kms today']);
});

test('a denial followed by "just"/"solo" covers every symptom it names; a general question and a found-benign event are not emergencies', async () => {
  await noneOf([
    'no throat swelling or trouble breathing, just a small rash from the tape', 'no se me cerro la garganta, solo tengo ronchitas en la pierna',
    'can a panic attack feel like a stroke?', 'la ansiedad se puede confundir con un infarto?',
    'the chest tightness from last week turned out to be a pulled muscle', 'my uncle is in the icu after a stroke, how can i support my aunt',
  ]);
  assert.equal(await category('no puedo respirar, solo quiero que venga alguien'), 'breathing');
});

test('concepts generalise: a cry for help, a symptom happening now, a first time; a time marker belongs to its own part', async () => {
  assert.equal(await category('help chest'), 'cardiac');
  assert.equal(await category('ayuda mi hijo'), 'child_harm');
  assert.equal(await category('is it normal that my chest hurts this much right now?'), 'cardiac');
  assert.equal(await category('my wife never had a seizure before and just had one'), 'seizure');
  assert.notEqual(await category('her chest is burning and she cant breathe right, she had a stent put in last year'), null);
  assert.equal(await category('le sangra la nariz desde hace una hora y no para'), 'bleeding');
  await noneOf([
    'choked on my tea, went down the wrong pipe, fine now', 'my laptop had a seizure again', 'back in 2019, I had a stroke',
    'my chest pain was checked in the ER yesterday, all tests normal', 'can my son take his epipen on the plane?',
  ]);
});

test('learned from set H: denials reach past fillers, a bare "no" answers a short question, "none since", threshold questions, a doctor who changed the dose', async () => {
  await noneOf([
    'i am not having any urges to hurt myself, just lonely', 'no tengo pensamientos de hacerme dano, solo estoy cansada',
    'havent had any chest pain or pressure since the stent', 'shortness of breath? no. just a cold', 'my son had fits when he was a toddler, none since',
    'mi papa tuvo un infarto, no le ha vuelto a dar', 'how high can blood sugar get before its dangerous?', 'que tan bajo puede estar el azucar antes de desmayarse?',
    'the neurologist saw him and adjusted his meds after the seizure, hes home', 'a mi papa le dio un ataque, ya lo vio el doctor y le ajustaron la medicina',
    'she fainted in the heat but was fine after a glass of water', 'el concierto me dejo sin aliento', 'the view from the top left me breathless',
  ]);
  assert.equal(await category('chest pain? yes and its getting worse'), 'cardiac');
  assert.equal(await category('the doctor saw him and said go to the er, his face is drooping'), 'stroke');
  assert.equal(await category('she fainted and was fine after a minute but now she wont wake up'), 'unconscious');
  assert.equal(await category('no aguanto el dolor de pecho, ni puedo respirar'), 'cardiac');
  assert.equal(await category('no tengo ninguna razon para vivir'), 'self_harm');
  assert.equal(await category('mi sobrina me dijo que su tio le toca sus partes'), 'child_harm');
  assert.equal(await category('my daughter says the coach touches her private parts'), 'child_harm');
});

test('learned from set I: the rules alone read atypical signs, remedies that fail and indirect goodbyes; their look-alikes stay safe', async () => {
  const rules = rulesOnlyDetector();
  const cases: Array<[string, EmergencyCategory]> = [
    ['feeling sick to my stomach since lunch and now my jaw and upper back ache', 'cardiac'],
    ['tengo nauseas y me duele la espalda alta desde la manana, soy diabetica', 'cardiac'],
    ['my dad suddenly cant walk straight and hes seeing double', 'stroke'],
    ['mi mama de pronto no me reconoce y dice cosas sin sentido', 'stroke'],
    ['the inhaler isnt working and i cant breathe', 'breathing'],
    ['no se me quita el dolor de pecho', 'cardiac'],
    ['my 5 week old has a fever of 38.6', 'child_harm'],
    ['mi hijo tiene epilepsia y la crisis ya lleva 6 minutos', 'seizure'],
    ['es alergica a las abejas y la picaron, esta palida y vomitando', 'allergy'],
    ['gave my fishing rods to my brother, i wont need them', 'self_harm'],
    ['ya no le voy a dar mas problemas a nadie', 'self_harm'],
    ['i keep thinking about driving into a wall on the freeway', 'self_harm'],
    ['my husband died in may and i just want to be with him', 'self_harm'],
    ['su padrastro la quema con cigarros', 'child_harm'],
  ];
  for (const [t, c] of cases) assert.equal(rules.assess(t)?.category, c, t);
  await noneOf([
    'had a seizure years ago at a party, we still joke about it', 'una vez me desmaye en misa, hace mil anos', 'she choked on a cracker and was totally fine after',
    'mi tio tuvo dolor de pecho, le hicieron estudios y era un musculo', 'si mis nietos me vuelven a despertar temprano me da un infarto',
    'the uncertainty is choking me, any news on my scan', 'es peligroso mezclar lejia con amoniaco?', 'mi sobrino convulsiono una vez de bebe, nunca mas le volvio a pasar',
    'my little one is 2 months old, slight fever of 37.6 after the vaccines', 'sold my car to my cousin, i wont need it after we move to the city',
    'his words come out wrong when hes nervous on the phone', 'nauseous from the chemo and my upper back aches from the hospital bed',
    'the baby twitches in her sleep, no fever', 'my cut stopped bleeding, just need a bandaid',
  ]);
});

test('typos and missing accents are read as meant', async () => {
  assert.equal(await category('i cant breth'), 'breathing');
  assert.equal(await category('i have chest pian and sweating'), 'cardiac');
  assert.equal(await category('my son is having a siezure'), 'seizure');
  assert.equal(await category('no puedo respirr'), 'breathing');
  assert.equal(await category('me duele mucho el pexho'), 'cardiac');
  assert.equal(await category('TENGO DOLOR DE PECHO'), 'cardiac');
  assert.equal(typoDistance('chest', 'cehst', 1), 1);
});

test('the rules alone answer with score 1; the model round-trips through JSON; a model in another format is refused', async () => {
  assert.deepEqual(rulesOnlyDetector().assess('my chest hurts'), { category: 'cardiac', source: 'rule', score: 1 });
  const model = trainEmergencyModel(await loadTrainingExamples());
  const again = emergencyDetector(parseEmergencyModel(JSON.stringify(model)));
  assert.deepEqual(again.assess('i think something is really wrong with my chest'), emergencyDetector(model).assess('i think something is really wrong with my chest'));
  assert.throws(() => parseEmergencyModel('{"format":"other"}'), { code: 'CONFIG_INVALID' });
});
