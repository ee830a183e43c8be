import { CATEGORY_PRIORITY, type EmergencyCategory } from './categories.js';
import { figurativeSpans, isAboutCondition, isOver, negatedBefore } from './context.js';
import { LEXICON_EN, type Lexicon } from './lexicon-en.js';
import { LEXICON_ES } from './lexicon-es.js';
import { clauses, Speller } from './normalize.js';

/** What the rules saw: an emergency, a phrase they set aside (negated, past, figurative…), or nothing. */
export type RuleOutcome = { kind: 'hit'; category: EmergencyCategory } | { kind: 'vetoed' } | { kind: 'none' };

const LEXICON: Lexicon = [...LEXICON_EN, ...LEXICON_ES];

// Words common in patients' messages that sit one letter from a safety word ("cooking"/"choking").
const NEVER_CORRECT = [
  'cooking', 'breeding', 'strike', 'strikes', 'cheat', 'chess', 'chests', 'heard', 'hecho', 'techo', 'lecho', 'dicho', 'color',
  'bleeds', 'blood', 'brother', 'breath', 'death', 'faint', 'paint', 'point', 'saint', 'shaking', 'baking', 'taking', 'making',
  'liking', 'biking', 'hiking', 'choosing', 'closing', 'losing', 'posing', 'dosing', 'poisson', 'season', 'reason', 'person',
  'prison', 'chocolate', 'seizures', 'sizes', 'horse', 'house', 'mouse', 'cause', 'pause', 'causa', 'pausa', 'cosas', 'casas',
  'hinge', 'hinges', 'stoke', 'stroll', 'strong', 'stronger', 'pecas', 'pesca', 'pecha', 'moral', 'mortal', 'meter', 'metro',
  'sugars', 'suger', 'doble', 'noble', 'tomar', 'tomate', 'matar', 'matas', 'mates', 'heart', 'heath', 'hearth', 'earth',
  'pained', 'gained', 'rained', 'trained', 'drained', 'pregnant', 'seized', 'ceased', 'sangria', 'sangria', 'pastel', 'pasteles',
  'muerde', 'muere', 'murio', 'mover', 'morir', 'mueve', 'water', 'later', 'hater', 'dyeing', 'lying', 'dying', 'crying', 'trying', 'frying',
];

/** Whole-word, typo-tolerant matching of the two lexicons, with context vetoes. */
export class EmergencyRules {
  private readonly speller: Speller;

  /** `knownWords`: words seen in safe training messages; they are never "corrected" into safety words. */
  constructor(knownWords: readonly string[] = []) {
    this.speller = new Speller(lexiconWords(LEXICON), new Set([...NEVER_CORRECT, ...knownWords]));
  }

  match(text: string): RuleOutcome {
    let best: EmergencyCategory | null = null;
    let vetoed = false;
    for (const clause of clauses(text, this.speller)) {
      const c = clause.text;
      const over = isOver(c);
      const about = isAboutCondition(c);
      const figures = figurativeSpans(c);
      for (const [category, re] of LEXICON) {
        const m = re.exec(c);
        if (m === null) continue;
        const end = m.index + m[0].length;
        const figurative = figures.some(([a, b]) => a < end && m.index < b);
        if (over || about || figurative || negatedBefore(c, m.index)) { vetoed = true; continue; }
        if (best === null || CATEGORY_PRIORITY.indexOf(category) < CATEGORY_PRIORITY.indexOf(best)) best = category;
      }
      if (figures.length > 0) vetoed = true;
    }
    if (best !== null) return { kind: 'hit', category: best };
    return vetoed ? { kind: 'vetoed' } : { kind: 'none' };
  }
}

/** The whole words (5+ letters) the patterns spell out, the targets of typo correction; stems ("bleed\w*") excluded. */
export function lexiconWords(lexicon: Lexicon): string[] {
  const out = new Set<string>();
  for (const [, re] of lexicon) {
    for (const m of re.source.matchAll(/(?<![\\a-z])([a-z]{5,})(?![a-z]|\\w|\*)/g)) out.add(m[1] ?? '');
  }
  out.delete('');
  return [...out].sort();
}
