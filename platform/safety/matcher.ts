import { CATEGORY_PRIORITY, type EmergencyCategory } from './categories.js';
import { figurativeSpans, isAboutCondition, isJoke, isOver, negatedBefore } from './context.js';
import { LEXICON_EN, type Lexicon } from './lexicon-en.js';
import { LEXICON_ES } from './lexicon-es.js';
import { clauses, Speller } from './normalize.js';

/** What the rules saw: an emergency, a phrase they set aside (negated, past, figurative…), or nothing. */
export type RuleOutcome = { kind: 'hit'; category: EmergencyCategory } | { kind: 'vetoed' } | { kind: 'none' };

// Global copies: every occurrence is tried, since the first may be negated and a later one not.
const LEXICON: Lexicon = [...LEXICON_EN, ...LEXICON_ES].map(([c, re]) => [c, new RegExp(re.source, 'g')] as const);

// Words common in patients' messages that sit one letter from a safety word ("cooking"/"choking").
const NEVER_CORRECT = [
  'cooking', 'breeding', 'strike', 'strikes', 'cheat', 'chess', 'chests', 'heard', 'hecho', 'techo', 'lecho', 'dicho', 'color',
  'bleeds', 'blood', 'brother', 'breath', 'death', 'faint', 'paint', 'point', 'saint', 'shaking', 'baking', 'taking', 'making',
  'liking', 'biking', 'hiking', 'choosing', 'closing', 'losing', 'posing', 'dosing', 'poisson', 'season', 'reason', 'person',
  'prison', 'chocolate', 'seizures', 'sizes', 'horse', 'house', 'mouse', 'cause', 'pause', 'causa', 'pausa', 'cosas', 'casas',
  'hinge', 'hinges', 'stoke', 'stroll', 'strong', 'stronger', 'pecas', 'pesca', 'pecha', 'moral', 'mortal', 'meter', 'metro',
  'sugars', 'suger', 'doble', 'noble', 'tomar', 'tomate', 'matar', 'matas', 'mates', 'heart', 'heath', 'hearth', 'earth',
  'pained', 'gained', 'rained', 'trained', 'drained', 'pregnant', 'seized', 'ceased', 'sangria', 'sangria', 'pastel', 'pasteles',
  'checking', 'standing', 'pasado', 'necesito', 'cuanto', 'cuanta', 'cuantas', 'cuantos', 'painted', 'pointed', 'muerde', 'muere', 'murio', 'mover', 'morir', 'mueve', 'water', 'later', 'hater', 'dyeing', 'lying', 'dying', 'crying', 'trying', 'frying',
];

// "a refill of my seizure medicine", "cita de la clinica de derrame": the condition names a service.
const CARE = /\b(?:refill|refills|prescription|appointment|clinic|renew|specialist|resurtir|receta|recetas|cita|clinica|medicamento|medicamentos|medicina|medicinas|pastillas|pills|meds|medication|medicine|doctor|nurse) (?:\w+ )?(?:de|del|para|for|of|from|contra) (?:la |las |el |los |mi |my |the |tu |su |your )?$/;
function careBefore(prefix: string): boolean {
  return CARE.test(prefix);
}

/** Whole-word, typo-tolerant matching of the two lexicons, with context vetoes. */
export class EmergencyRules {
  private readonly speller: Speller;

  /** `knownWords`: words seen in safe training messages; they are never "corrected" into safety words. */
  constructor(knownWords: readonly string[] = []) {
    this.speller = new Speller(lexiconWords(LEXICON), new Set([...NEVER_CORRECT, ...knownWords]), lexiconStems(LEXICON));
  }

  match(text: string): RuleOutcome {
    const parts = clauses(text, this.speller);
    // Clauses joined with "|": a pattern may span them ("doble insulina por error | ahora tiemblo"),
    // and the context of the clause where it ends (the situation now) decides.
    const joined = parts.map((p) => p.text).join('|');
    const bounds: number[] = [];
    let at = 0;
    for (const p of parts) { at += p.text.length + 1; bounds.push(at); }
    const clauseAt = (i: number): number => bounds.findIndex((b) => i < b);
    const context = parts.map((p) => ({ over: isOver(p.text), about: isAboutCondition(p.text, p.question), figures: figurativeSpans(p.text), joke: isJoke(p.text) }));
    let best: EmergencyCategory | null = null;
    let vetoed = context.some((c) => c.figures.length > 0 || c.joke);
    for (const [category, re] of LEXICON) {
      for (const m of joined.matchAll(re)) {
        const endClause = Math.max(0, clauseAt(m.index + m[0].length - 1));
        const startClause = Math.max(0, clauseAt(m.index));
        const ctx = context[endClause];
        const offset = startClause === 0 ? 0 : (bounds[startClause - 1] ?? 0);
        const local = joined.slice(offset, m.index + m[0].length);
        const start = m.index - offset;
        const figurative = (context[startClause]?.figures ?? []).some(([a, b]) => a < local.length && start < b);
        if (ctx === undefined || ctx.over || ctx.about || ctx.joke || figurative
          || negatedBefore(local, start) || careBefore(local.slice(0, start))) { vetoed = true; continue; }
        if (best === null || CATEGORY_PRIORITY.indexOf(category) < CATEGORY_PRIORITY.indexOf(best)) best = category;
        break;
      }
    }
    if (best !== null) return { kind: 'hit', category: best };
    return vetoed ? { kind: 'vetoed' } : { kind: 'none' };
  }
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
