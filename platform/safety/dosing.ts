/**
 * No dosing advice. `dosingQuestion` spots a patient asking whether to change a dose; the dialogue
 * answers it with the prescription's own instruction or a referral, never with advice.
 * `dosingInstruction` spots a reply that tells the patient to change a dose; the dialogue replaces
 * it and the workflow checker refuses to publish it. Pure: no I/O, no state.
 */

export type DosingKind = 'extra' | 'less' | 'skip' | 'stop' | 'late' | 'change';
export interface DosingQuestion {
  kind: DosingKind;
  /** A medication named in the message (from the patient's list when given, else a known name), or null. */
  medication: string | null;
}

/** Lower case and accents folded one character for one, so match offsets point into the original. */
function foldSameLength(text: string): string {
  let out = '';
  for (const ch of text) {
    const f = ch.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[’‘`´]/g, "'");
    out += f.length === ch.length ? f : ch;
  }
  return out;
}

const MANY = String.raw`(?:two|2|three|3|both|another|an extra|extra|a second|one more|more|double|a double|twice|dos|2|tres|3|otra|una mas|mas|doble|el doble|extra)`;

// The patient asks (or wonders) whether to change a dose.
const ASKING = String.raw`(?:should i|can i|could i|may i|do i|shall i|must i|is it (?:ok|okay|safe|fine|alright|all right|bad)(?: if i| to| for me to)?|am i (?:allowed|supposed) to|would it be (?:ok|okay|bad|safe)(?: if i| to)?|what (?:if|happens if) i|what should i do|how many|how much|do i need to|is it better to|puedo|podria|debo|deberia|tengo que|esta bien|estaria bien|se puede|es (?:seguro|malo|peligroso)|que pasa si|y si|que hago|cuantas|cuanto|me (?:puedo|tomo)|necesito)`;

const QUESTION_KINDS: ReadonlyArray<readonly [DosingKind, RegExp]> = [
  ['late', /\b(?:missed|forgot|forgotten|skipped|didnt take|did not take|no me (?:la |lo |las |los )?tome|se me olvido|se me paso|olvide|me salte|no tome)\b.*\b(?:take|tomar\w*|tomo|pongo|me la|me lo|inyecto)\b|\b(?:take|tomar\w*|tomo|pongo)\b.*\b(?:missed|forgot|se me olvido|olvide|me salte)\b/],
  ['extra', /\b(?:how many|how much|cuantas|cuantos|cuanto|cuanta)\b.*\b(?:take|have|give|tomar\w*|tomo|darle|dar|ponerme|pongo)\b|\b(?:el doble|doble dosis|double the|double dose|twice the)\b|\b(?:two|2|both|dos|las dos|los dos) (?:\w+ )?(?:de una vez|juntas|juntos|a la vez|at once|together)\b|\b(?:me pongo|me tomo|me inyecto|tomo|pongo) (?:mas|otra|otro|doble|dos|una mas)\b/],
  ['late', /\b(?:missed|forgot|forgotten|skipped|didnt take|did not take|no me (?:la |lo |las |los )?tome|se me olvido|olvide|no tome)\b.*\b(?:take (?:it|them|one|the dose)?(?: ?now| later| late| when| tonight| in the|\?)|still take|take it|make (?:it )?up|catch up|tomarmela|tomarla|tomarlo|tomarmelas|tomarlas|tomar(?:la|lo|las|los)? (?:ahora|despues|mas tarde|en la noche|aunque)|todavia|aun|ahora|mas tarde|recuperar|la de la noche|doble)\b/],
  ['late', /\b(?:take|taking) (?:it|my \w+|the \w+|my dose|the dose) (?:late|later|now|at night|in the afternoon) (?:instead|if i missed|since i|because i)|\b(?:tomarla|tomarlo|tomarme la|tomar la dosis) (?:tarde|mas tarde|ahora|en la noche) (?:si|porque|ya que)\b/],
  ['extra', new RegExp(String.raw`\b${ASKING}\b.*\b(?:take|have|use|give|inject|tomar|tomarme|tomarle|darle|ponerme|inyectarme|tomo|me tomo)\b(?: (?:my|the|a|an|of|mi|la|el|una|un))?(?: \w+)? ${MANY}\b`)],
  ['extra', /\b(?:double (?:up|my|the|dose|it)|doubling (?:up|my)|double dose|take (?:two|2|both|them) (?:at once|together)|duplicar|doblar la dosis|doble dosis|dosis doble|tomar(?:me)? (?:las )?dos (?:juntas|de una vez|a la vez)|increase (?:my|the) (?:dose|dosage|insulin|\w+)|up (?:my|the) dose|higher dose|subir(?:le)? (?:la|mi) dosis|aumentar (?:la|mi) dosis|mas dosis|una dosis extra|otra dosis|otra pastilla|another (?:dose|pill|tablet|shot)|extra (?:dose|pill|tablet|shot|units?))\b/],
  ['less', /\b(?:half|a half|cut (?:it|them|the \w+|my \w+|\w+) in half|split (?:it|them|the \w+|my \w+)|halve|less|lower (?:my|the) (?:\w+ )?dose|lower dose|reduce|decrease|cut back|la mitad|media pastilla|media tableta|partir (?:la|las|mi|mis) (?:pastilla|pastillas|tableta|tabletas)|partirla|partirlas|menos|bajar(?:le)? (?:la|mi) dosis|reducir|disminuir)\b/],
  ['skip', /\b(?:skip|skipping|miss (?:a|my|the|tonights|todays|this|one)|not take (?:it|my|the|them|any)|go without|leave out|saltar(?:me)?|saltarme|omitir|no tomar(?:me)?(?:la|lo|las|los)?|no me (?:la |lo )?tomo|no tomarme|dejar (?:pasar )?(?:una|la) dosis)\b/],
  ['stop', /\b(?:stop (?:taking|using|my|the|it|them)|quit (?:taking|my|the)|come off|get off (?:my|the)|discontinue|dejar de (?:tomar|usar|ponerme|inyectarme)|dejar (?:la|las|el|los|mis|mi) \w+|suspender|parar de tomar)\b/],
  ['change', /\b(?:change (?:my|the) (?:dose|dosage|insulin)|adjust (?:my|the) (?:dose|dosage|insulin)|cambiar (?:la|mi) dosis|ajustar (?:la|mi) dosis)\b/],
];

// A dosing question must be one: asked, or wondered aloud. "I took two tablets" is a report.
const ASKS = new RegExp(String.raw`\?|\b${ASKING}\b|\b(?:wondering|not sure|unsure|no se si|tengo duda|duda)\b|^\s*(?:¿|double|skip|stop|half|take)`);

const DOSE_CONTEXT = /\b(?:dose|doses|dosage|pill|pills|tablet|tablets|capsule|capsules|meds|medication|medications|medicine|medicines|insulin|units|shot|inhaler|puffs|patch|drops|it|them|one|mg|pastilla|pastillas|pildora|pildoras|tableta|tabletas|capsula|capsulas|dosis|medicina|medicinas|medicamento|medicamentos|insulina|unidades|inyeccion|inhalador|gotas|parche|la|lo|las|los|una)\b/;

const KNOWN_MEDICATIONS = [
  'metformin', 'metformina', 'insulin', 'insulina', 'lisinopril', 'aspirin', 'aspirina', 'ibuprofen', 'ibuprofeno', 'paracetamol',
  'acetaminophen', 'acetaminofen', 'tylenol', 'advil', 'atorvastatin', 'atorvastatina', 'amlodipine', 'amlodipino', 'losartan',
  'levothyroxine', 'levotiroxina', 'omeprazole', 'omeprazol', 'warfarin', 'warfarina', 'metoprolol', 'simvastatin', 'simvastatina',
  'prednisone', 'prednisona', 'amoxicillin', 'amoxicilina', 'gabapentin', 'gabapentina', 'furosemide', 'furosemida', 'sertraline',
  'sertralina', 'enalapril', 'glibenclamide', 'glibenclamida', 'clopidogrel', 'apixaban', 'rivaroxaban', 'eliquis', 'xarelto',
  'hydrochlorothiazide', 'hidroclorotiazida', 'naproxen', 'naproxeno', 'diclofenac', 'diclofenaco', 'tramadol', 'lantus', 'ozempic',
  'inhaler', 'inhalador', 'salbutamol', 'albuterol', 'antibiotic', 'antibiotico', 'vitamin', 'vitamina',
];
const DRUG_SUFFIX = /^[a-z]{3,}(?:pril|sartan|statin|statina|formin|formina|olol|prazole|prazol|dipine|dipino|mycin|micina|cillin|cilina|oxacin|oxacino|tidine|tidina|gliptin|gliptina|glutide|glutida|zepam|zolam|pine|pina|mab)$/;

function findMedication(folded: string, text: string, medications: readonly string[]): string | null {
  for (const name of medications) {
    if (name.trim() !== '' && folded.includes(foldSameLength(name.trim()))) return name;
  }
  for (const m of folded.matchAll(/[\p{L}]+/gu)) {
    const singular = m[0].replace(/s$/, '');
    if (KNOWN_MEDICATIONS.includes(m[0]) || KNOWN_MEDICATIONS.includes(singular) || DRUG_SUFFIX.test(m[0])) return text.slice(m.index, m.index + m[0].length);
  }
  return null;
}

/** The patient asks whether to take more, less, skip, stop, take later, or change a dose; null otherwise. */
export function dosingQuestion(text: string, medications: readonly string[] = []): DosingQuestion | null {
  const folded = foldSameLength(text).replace(/'/g, '');
  if (!ASKS.test(folded)) return null;
  const medication = findMedication(folded, text.replace(/'/g, ''), medications);
  // "can I eat less sugar?" is not about a dose: a dose word or a medication must be there.
  if (medication === null && !DOSE_CONTEXT.test(folded)) return null;
  for (const [kind, re] of QUESTION_KINDS) {
    if (re.test(folded)) return { kind, medication };
  }
  return null;
}

// Any text that quotes the prescription: after one of these, the rest of the sentence is the
// prescriber's instruction, restated, not ours. Quoted passages ("…", «…») count the same.
const PRESCRIPTION_QUOTE = /\b(?:(?:your |the )?prescription (?:says|reads|is)|(?:as|like) (?:prescribed|your (?:doctor|prescriber) (?:said|prescribed|told you))|(?:the |your )?label (?:says|reads)|your (?:doctor|prescriber) (?:prescribed|wrote)|prescribed (?:dose|instructions?)|(?:su |la )?receta (?:dice|indica)|segun (?:su|la) receta|como (?:se lo |le )?(?:recetaron|receto|indico) (?:su |el )?(?:medico|doctor)?|(?:la )?etiqueta (?:dice|indica)|indicacion(?:es)? de (?:su|el) (?:medico|doctor)|prescription:|receta:|instructions:|instrucciones:)\s*:?[^.!?;\n]*/g;
const QUOTED = /"[^"]*"|“[^”]*”|«[^»]*»|\{[^}]*\}/g;

// A change to a dose, said to the patient. Each pattern names the change; "take 1 tablet" does not.
const INSTRUCTIONS: readonly RegExp[] = [
  new RegExp(String.raw`\b(?:take|have|use|give|inject|swallow) (?:(?:a|an|the|your|of) )?${MANY} (?:of )?(?:your |the |a )?(?:\w+ )?(?:tablet|tablets|pill|pills|dose|doses|capsule|capsules|units?|shots?|puffs?|mg|dosage|one|ones|now|tonight|today|this|\w+(?:in|ol|il|ide|ine|pril|statin|formin))\b`),
  /\b(?:double|doubling) (?:up|your|the|it|that)\b|\bdouble (?:dose|dosage|it)\b|\b(?:take|have) (?:a |the )?double\b|\btake (?:two|2|both|them) (?:together|at once)\b/,
  /\b(?:skip|miss|omit|leave out|go without) (?:your |the |tonight'?s |today'?s |this |that |a |one |next |it|them|\w+ )(?:dose|pill|tablet|medication|medicine|insulin|shot|it|them|\w+)?/,
  /\b(?:stop|quit|discontinue|cease|halt) (?:taking|using|your|the|it|them)\b|\bcome off (?:your|the|it)\b/,
  /\b(?:don'?t|do not|no need to) (?:take|use|inject) (?:your|the|it|them|any|tonight|today|this)\b/,
  /\b(?:cut|split|break|halve) (?:your |the |each |it|them|a )?(?:\w+ ){0,2}(?:in half|in two|into halves)\b|\btake (?:only )?(?:half|a half|half a)\b|\bhalve (?:your|the)\b/,
  /\b(?:increase|decrease|reduce|lower|raise|adjust|change|up|cut down) (?:your |the )?(?:\w+ )?(?:dose|dosage|insulin|units)\b|\btake (?:more|less|fewer|extra)\b/,
  /\btake (?:it|the missed dose|your missed dose|the dose|your dose) (?:now|later|late|when you remember|with your next)\b|\b(?:take|have) the missed dose\b/,
  new RegExp(String.raw`\b(?:tome|tomese|tomar|puede tomar|puede tomarse|tomarse|use|ponga|pongase|inyectese|dele|de) (?:(?:la|el|su|una|un) )?${MANY}\b`),
  /\b(?:duplique|doble (?:la|su) dosis|tome el doble|dosis doble|tome (?:las )?dos juntas)\b/,
  /\b(?:saltese|saltar(?:se)?|omita|omitir|no (?:se )?tome (?:su|la|el|hoy|esta|las|los|ninguna)|no se (?:la|lo|las|los) tome)\b/,
  /\b(?:deje de (?:tomar|usar|ponerse|inyectarse)|suspenda|pare de tomar|deje (?:la|las|el|los|su|sus) (?:pastilla|pastillas|medicina|medicinas|medicamento|insulina))\b/,
  /\b(?:parta|corte|divida) (?:la|su|las|sus) (?:\w+ )?(?:a la mitad|en dos|por la mitad)|\btome (?:solo )?(?:media|la mitad)\b/,
  /\b(?:aumente|suba|reduzca|baje|disminuya|ajuste|cambie) (?:la|su) (?:dosis|insulina)\b|\btome (?:mas|menos)\b/,
  /\b(?:tomela|tomelo|tomese la|tome la dosis olvidada|tome la que olvido) (?:ahora|mas tarde|cuando se acuerde|con la siguiente)?/,
];

// A warning against changing a dose is the opposite of advice: "do not double up", "no deje de tomar".
const WARNING_BEFORE = /\b(?:don'?t|do not|never|please don'?t|no|nunca|no debe|you should not|you shouldn'?t|without (?:asking|talking to|checking with)|sin (?:consultar|hablar con|preguntar))\s+(?:\w+\s+)?$/;
// Asking whether the patient did something is not telling them to do it.
const ASKED_BEFORE = /\b(?:did you|have you|had you|were you|do you|are you|se tomo|ya se tomo|tomo usted|usted tomo|le dijeron que)\s+(?:\w+\s+)?$/;

/**
 * The phrase by which a reply tells the patient to change a dose ("take two tablets tonight",
 * "deje de tomar la metformina"); null when the text gives none. Quoted prescription text ("Your
 * prescription says: take 2 tablets twice a day", anything in quotes or a {placeholder}) is the
 * prescriber's and is not flagged, nor are warnings ("do not double up") or questions ("did you take…").
 */
export function dosingInstruction(text: string): string | null {
  const folded = foldSameLength(text).replace(PRESCRIPTION_QUOTE, (m) => ' '.repeat(m.length)).replace(QUOTED, (m) => ' '.repeat(m.length));
  for (const re of INSTRUCTIONS) {
    for (const m of folded.matchAll(new RegExp(re.source, 'g'))) {
      const before = folded.slice(Math.max(0, m.index - 40), m.index);
      // "don't take your" is an instruction to skip; "don't take two" is a warning.
      const isSkipWording = /^(?:don'?t|do not|no need to|no (?:se )?tome|no se)/.test(m[0]);
      if (!isSkipWording && (WARNING_BEFORE.test(before) || ASKED_BEFORE.test(before))) continue;
      if (isSkipWording && /\b(?:never|without|sin)\s*$/.test(before)) continue;
      return text.slice(m.index, m.index + m[0].length).trim();
    }
  }
  return null;
}
