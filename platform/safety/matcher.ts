import { CATEGORY_PRIORITY, type EmergencyCategory } from './categories.js';
import { deniedPart, figurativeSpans, handled, happeningNow, isAboutCondition, isJoke, negatedBefore, negatedInside, overAt, resolvedLater } from './context.js';
import { COMBINATIONS, MENTIONS, SEVERITY } from './concepts.js';
import { LEXICON_EN, type Lexicon } from './lexicon-en.js';
import { LEXICON_ES } from './lexicon-es.js';
import { LEXICON_MORE } from './lexicon-more.js';
import { LEXICON_SIGNS } from './lexicon-signs.js';
import { clauses, Speller } from './normalize.js';

/**
 * What the rules saw: an emergency, a phrase they set aside (negated, past, figurative…), a symptom
 * mentioned with no rule's phrasing around it (`severe`: with an urgency cue), or nothing.
 */
export type RuleOutcome = { kind: 'hit'; category: EmergencyCategory } | { kind: 'vetoed' }
  | { kind: 'mention'; category: EmergencyCategory; severe: boolean } | { kind: 'none' };

// Global copies: every occurrence is tried, since the first may be negated and a later one not.
// The phrasings learned from D and E are matched as written: their words are neither targets of typo correction nor corrected.
const SPELLED: Lexicon = [...LEXICON_EN, ...LEXICON_ES, ...LEXICON_MORE];
const LEXICON: Lexicon = [...SPELLED, ...LEXICON_SIGNS].map(([c, re]) => [c, new RegExp(re.source, 'g')] as const);
const MENTION_LEXICON: Lexicon = MENTIONS.map(([c, re]) => [c, new RegExp(re.source, 'g')] as const);
const COMBINED = COMBINATIONS.map(([c, part, failing, ordinary]) => ({
  category: c, part: [[c, new RegExp(part.source, 'g')] as const], failing: [[c, new RegExp(failing.source, 'g')] as const], ordinary,
}));
const COMBINED_LEXICON: Lexicon = COMBINATIONS.flatMap(([c, part, failing]) => [[c, part], [c, failing]] as const);

// Words common in patients' messages that sit one letter from a safety word ("cooking"/"choking").
const NEVER_CORRECT = [
  'bills', 'fills', 'hills', 'mills', 'wills', 'pulls', 'flood', 'breed', 'bleep', 'feint', 'crest', 'chose', 'chore', 'fizzy',
  'conteste', 'respondi', 'confundir', 'smell', 'spell', 'shell', 'dwell', 'drink', 'frank', 'prank', 'crank', 'shallow', 'sugary', 'marea', 'tierna', 'sabios',
  'anoche', 'nacio', 'nacer', 'puente', 'castillas', 'lenguas', 'brazos', 'hearts', 'letter', 'better', 'bitter', 'dinner', 'winner', 'plane', 'place',
  'pero', 'entre', 'sobre', 'desde', 'hasta', 'donde', 'cuando', 'porque', 'mucho', 'mucha', 'poco', 'poca', 'todo', 'toda', 'nada',
  'algo', 'bien', 'esta', 'este', 'esto', 'estas', 'estos', 'tiene', 'tengo', 'puede', 'hace', 'dice', 'dijo', 'sabe', 'ayer', 'luego',
  'there', 'their', 'where', 'which', 'would', 'could', 'should', 'about', 'after', 'before', 'while', 'still', 'every', 'other',
  'these', 'those', 'thing', 'think', 'thank', 'thanks', 'again', 'never', 'today', 'tonight', 'right', 'little', 'really', 'maybe',
  'have', 'been', 'just', 'like', 'some', 'what', 'when', 'with', 'from', 'that', 'this', 'they', 'them', 'then', 'than', 'also',

  'cooking', 'breeding', 'strike', 'strikes', 'cheat', 'chess', 'chests', 'heard', 'hecho', 'techo', 'lecho', 'dicho', 'color',
  'bleeds', 'blood', 'brother', 'breath', 'death', 'faint', 'paint', 'point', 'saint', 'shaking', 'baking', 'taking', 'making',
  'liking', 'biking', 'hiking', 'choosing', 'closing', 'losing', 'posing', 'dosing', 'poisson', 'season', 'reason', 'person',
  'prison', 'chocolate', 'seizures', 'sizes', 'horse', 'house', 'mouse', 'cause', 'pause', 'causa', 'pausa', 'cosas', 'casas',
  'hinge', 'hinges', 'stoke', 'stroll', 'strong', 'stronger', 'pecas', 'pesca', 'pecha', 'moral', 'mortal', 'meter', 'metro',
  'sugars', 'suger', 'doble', 'noble', 'tomar', 'tomate', 'matar', 'matas', 'mates', 'heart', 'heath', 'hearth', 'earth',
  'pained', 'gained', 'rained', 'trained', 'drained', 'pregnant', 'seized', 'ceased', 'sangria', 'sangria', 'pastel', 'pasteles',
  'enero', 'febrero', 'marzo', 'abril', 'mayo', 'junio', 'julio', 'agosto', 'septiembre', 'octubre', 'noviembre', 'diciembre', 'ahora', 'ahorita',
  'january', 'february', 'march', 'april', 'june', 'july', 'august', 'september', 'october', 'november', 'december',
  'estaba', 'estaban', 'estabas', 'waiting', 'pasando', 'pasar', 'pasada', 'pasa', 'pasan', 'upped', 'checking', 'standing', 'switching', 'falling', 'changing', 'filling', 'cuentas', 'cuenta', 'dormi', 'pasado', 'necesito', 'cuanto', 'cuanta', 'cuantas', 'cuantos', 'painted', 'pointed', 'muerde', 'muere', 'murio', 'mover', 'morir', 'mueve', 'water', 'later', 'hater', 'dyeing', 'lying', 'dying', 'crying', 'trying', 'frying',
];

// "a refill of my seizure medicine", "cita de la clinica de derrame": the condition names a service.
const CARE = /\b(?:refill|refills|prescription|appointment|clinic|renew|specialist|resurtir|receta|recetas|cita|clinica|letter|carta|note|nota|form|forms|formulario|report|informe|paperwork|papeles|list|lista|medicamento|medicamentos|medicina|medicinas|pastillas|pastilla|pills|pill|tablet|tablets|tableta|tabletas|meds|medication|medicine|doctor|nurse|enfermera|enfermero|especialista|unidad|consulta|ward|team|equipo|control|seguimiento|grupo de apoyo|(?<!(?:tiene|tengo|tienes) un )plan|detector|detectores|detectors|alarma|alarmas|pick up|recoger|surtir|rehabilitacion|neurologia|support group|checkup|check up|follow up|revision|chequeo) (?:\w+ ){0,3}(?:de|del|para|for|of|from|contra|about|sobre|con) (?:(?:la|las|el|los|mi|my|the|tu|su|your|his|her|sus|mis|personas con|people with|familias de|families of) )*(?:\w+s )?$/;
// "never had one before and just had one": a first time, not a denial.
const FIRST_TIME = /\b(?:never|nunca)\b.*\b(?:before|antes|y (?:le |me )?acaba de|and (?:just|now))\b/;

// "seizure action plan", "epipen prescription": the condition names a document or service.
// "my chest and heart are fine, its my ribs": the named part is said to be well.
const FINE_AFTER = /^(?: and \w+)? (?:is|are|feels?|seems?|esta|estan|se siente) (?:fine|ok|okay|normal|bien)\b|^ de (?:gota|tos|risa|panico|ansiedad|nervios|celos|hipo|colera|furia|estornudos)\b|^ (?:through|out of) (?:my|his|her|the) nose\b|^ por la nariz\b|^ (?:de tanto|from all the|from) (?:toser|coughing)\b|^ (?:porque|because|from|de) (?:i slept on it|me dormi encima|dormir encima|sleeping on it)\b|^ (?:from|after|due to|because of|por|de) (?:the |my |a |la |el )?(?:dental|dentist|cold sore|bug bite|mosquito|surgery|wisdom|crying|sunburn|dentista|fuego labial|picadura de mosquito|llorar)\b/;
// "out of breath after climbing the stairs": breathless from effort, not failing breath.
const EFFORT_AFTER = /^ (?:after|from|when) (?:climbing|walking|running|jogging|exercis\w*|the stairs|stairs|the gym|working out|a run|subir|caminar|correr)\b|^ (?:when|cuando|al) (?:i )?(?:climb|walk|run|exercise|subo|camino|corro|hago ejercicio|subir|caminar|correr)\b/;
// "embarazada y no tengo sangrado ni dolor": the symptom that ends a long phrase is denied.
const DENIED_LAST = /(?:^| )(?:no tengo|no hay|sin|ni|no|not|no more|without|nor) (?:\w+ )?(?:sangrado|sangre|dolor|dolores|pain|bleeding|blood|contracciones|contractions|fiebre|fever)$/;
const CARE_AFTER = /^ (?:action plan|plan|prescription|refill|appointment|forms?|clinic|kit|training|class|detector|alarm|awareness|support group|follow up|checkup)\b/;
// "my seizure med", "heart pills": a condition named as what a medicine is for.
const MED_AFTER = /^ (?:meds?|medicines?|medications?|pills?|medicamentos?)\b/;
const CONDITION_END = /(?:seizure|seizures|heart|asthma|allergy|convulsiones|corazon|asma)$/;
function careBefore(prefix: string): boolean {
  return CARE.test(prefix);
}

const BARE_DENIAL = /^ (?:no|nope|nah|nop|not really|para nada|nada|negative|naw)(?: (?:really|at all|para nada|nada))? (?:, .*)?$/;

const SHORT_CRY = /\b(?:help|911|999|112|ambulance|emergency|sos|hurry|ayuda|ayudame|ayudenme|auxilio|socorro|urgente|emergencia|ambulancia)\b/;
const CHILD_WORD = /\b(?:son|daughter|kid|child|baby|toddler|boy|girl|hijo|hija|nino|nina|bebe|nene|nena|nieto|nieta)\b/;
const PERSON_WORD = /\b(?:mom|mum|mother|dad|father|husband|wife|grandma|grandpa|brother|sister|friend|mama|papa|madre|padre|esposo|esposa|marido|mujer|abuela|abuelo|hermano|hermana|amigo|amiga)\b/;

/** Whole-word, typo-tolerant matching of the two lexicons, with context vetoes. */
export class EmergencyRules {
  private readonly speller: Speller;

  /** `knownWords`: words seen in safe training messages; they are never "corrected" into safety words. */
  constructor(knownWords: readonly string[] = []) {
    this.speller = new Speller(lexiconWords([...SPELLED, ...MENTION_LEXICON, ...COMBINED_LEXICON]), new Set([...NEVER_CORRECT, ...knownWords, ...lexiconWords(LEXICON_SIGNS)]), lexiconStems([...SPELLED, ...MENTION_LEXICON, ...COMBINED_LEXICON]));
  }

  match(text: string): RuleOutcome {
    const parts = clauses(text, this.speller);
    // Clauses joined with "|": a pattern may span them ("doble insulina por error | ahora tiemblo"),
    // and the context of the clause where it ends (the situation now) decides.
    const joined = parts.map((p) => p.text).join('|');
    const bounds: number[] = [];
    let at = 0;
    for (const p of parts) { at += p.text.length + 1; bounds.push(at); }
    const now = happeningNow(joined);
    // What a clause tells was handled or resolved closes it and the clauses before, not a later one.
    // "chest pain? nope. just anxious": a symptom asked as a short question and answered with a bare denial.
    const context = parts.map((p, i) => ({
      text: p.text,
      done: !now && (parts.slice(i).some((later) => handled(later.text)) || parts.slice(i + 1).some((later) => resolvedLater(later.text))
        || (p.question && p.text.trim().split(' ').length <= 4 && BARE_DENIAL.test(parts[i + 1]?.text ?? ''))),
      now,
      about: !now && isAboutCondition(p.text, p.question), figures: figurativeSpans(p.text), joke: isJoke(p.text) }));
    const scan = { joined, bounds, context };
    const rule = bestMatch(LEXICON, scan);
    if (rule.best !== null) return { kind: 'hit', category: rule.best };
    const combined = bestCombination(scan);
    if (combined !== null) return { kind: 'hit', category: combined };
    const figureOrJoke = context.some((c) => c.figures.length > 0 || c.joke);
    if (rule.vetoed || figureOrJoke) return { kind: 'vetoed' };
    const mention = bestMatch(MENTION_LEXICON, scan);
    // "help chest", "ayuda mi hijo": a cry for help with a body part or a person is all a panicking patient types.
    if (joined.split(/[ |,]+/).filter((w) => w !== '').length <= 4 && SHORT_CRY.test(joined)) {
      if (mention.best !== null) return { kind: 'hit', category: mention.best };
      if (CHILD_WORD.test(joined)) return { kind: 'hit', category: 'child_harm' };
      if (PERSON_WORD.test(joined)) return { kind: 'hit', category: 'unconscious' };
    }
    if (mention.best !== null) return { kind: 'mention', category: mention.best, severe: SEVERITY.test(joined) };
    return mention.vetoed ? { kind: 'vetoed' } : { kind: 'none' };
  }
}

/** The highest-priority combination whose part and failing word both stand outside any veto. */
function bestCombination(scan: Scan): EmergencyCategory | null {
  let best: EmergencyCategory | null = null;
  for (const c of COMBINED) {
    if (best !== null && CATEGORY_PRIORITY.indexOf(c.category) >= CATEGORY_PRIORITY.indexOf(best)) continue;
    if (c.ordinary?.test(scan.joined) === true) continue;
    if (bestMatch(c.part, scan).best !== null && bestMatch(c.failing, scan).best !== null) best = c.category;
  }
  return best;
}

interface Scan { joined: string; bounds: number[]; context: Array<{ text: string; done: boolean; now: boolean; about: boolean; figures: Array<[number, number]>; joke: boolean }> }

/** The highest-priority category of the lexicon matched outside any veto, and whether some match was vetoed. */
function bestMatch(lexicon: Lexicon, { joined, bounds, context }: Scan): { best: EmergencyCategory | null; vetoed: boolean } {
  const clauseAt = (i: number): number => bounds.findIndex((b) => i < b);
  let best: EmergencyCategory | null = null;
  let vetoed = false;
  const firstTime = FIRST_TIME.test(joined);
  for (const [category, re] of lexicon) {
    for (const m of joined.matchAll(re)) {
      const endClause = Math.max(0, clauseAt(m.index + m[0].length - 1));
      const startClause = Math.max(0, clauseAt(m.index));
      const ctx = context[endClause];
      const offset = startClause === 0 ? 0 : (bounds[startClause - 1] ?? 0);
      const local = joined.slice(offset, m.index + m[0].length);
      const start = m.index - offset;
      const figurative = (context[startClause]?.figures ?? []).some(([a, b]) => a < local.length && start < b);
      const endOffset = endClause === 0 ? 0 : (bounds[endClause - 1] ?? 0);
      const startCtx = context[startClause];
      // Over where the phrase ends (the situation now) or, for a phrase across clauses, where it starts.
      const over = ctx !== undefined && (ctx.done || (!ctx.now && (overAt(ctx.text, m.index + m[0].length - 1 - endOffset)
        || (startClause !== endClause && startCtx !== undefined && overAt(startCtx.text, start)))));
      if (ctx === undefined || over || ctx.about || (ctx.joke && category !== 'self_harm') || figurative || deniedPart(ctx.text, m.index + m[0].length - 1 - endOffset)
        || (!firstTime && negatedBefore(local, start)) || negatedInside(m[0].replace(/\|/g, ' '), re.source) || careBefore(local.slice(0, start)) || CARE_AFTER.test(joined.slice(m.index + m[0].length, m.index + m[0].length + 30))
        || (CONDITION_END.test(m[0]) && MED_AFTER.test(joined.slice(m.index + m[0].length, m.index + m[0].length + 30)))
        || DENIED_LAST.test(m[0]) || (category === 'breathing' && EFFORT_AFTER.test(joined.slice(m.index + m[0].length, m.index + m[0].length + 30))) || FINE_AFTER.test(joined.slice(m.index + m[0].length, m.index + m[0].length + 30))) { vetoed = true; continue; }
      if (best === null || CATEGORY_PRIORITY.indexOf(category) < CATEGORY_PRIORITY.indexOf(best)) best = category;
      break;
    }
  }
  return { best, vetoed };
}

/** The whole words (4+ letters) the patterns spell out, the targets of typo correction; stems ("bleed\w*") excluded. */
export function lexiconWords(lexicon: Lexicon): string[] {
  const out = new Set<string>();
  for (const [, re] of lexicon) {
    for (const m of re.source.matchAll(/(?<![\\a-z])([a-z]{4,})(?![a-z]|\\w|\*)/g)) out.add(m[1] ?? '');
  }
  out.delete('');
  return [...out].sort();
}

/** Stems the patterns extend with \w* ("convulsion\w*"): a word starting with one is already matched as written. */
export function lexiconStems(lexicon: Lexicon): string[] {
  const out = new Set<string>();
  for (const [, re] of lexicon) {
    for (const m of re.source.matchAll(/(?<![\\a-z])([a-z]{4,})\\w\*/g)) out.add(m[1] ?? '');
  }
  out.delete('');
  return [...out].sort();
}
