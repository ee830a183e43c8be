/**
 * Yes/no answers in the languages we serve: the one list both the NLU (the yes_no entity) and the
 * workflow answer reader use, so the two cannot drift apart. Phrases are written as patients write
 * them; readers compare folded words (lower case, accents removed).
 */
export type YesNo = 'yes' | 'no';

export interface YesNoEntry { readonly phrase: string; readonly value: YesNo; readonly language: 'en' | 'es' }

const entries = (language: YesNoEntry['language'], value: YesNo, phrases: readonly string[]): YesNoEntry[] =>
  phrases.map((phrase) => ({ phrase, value, language }));

export const YES_NO_LEXICON: readonly YesNoEntry[] = Object.freeze([
  ...entries('en', 'yes', ['yes', 'y', 'yeah', 'yep', 'yup', 'sure', 'ok', 'okay', 'of course', 'please do', 'yes please']),
  ...entries('en', 'no', ['no', 'n', 'nope', 'nah', 'not now', 'not yet', 'not really', 'no thanks', 'of course not']),
  ...entries('es', 'yes', ['sí', 'si', 'claro', 'claro que sí', 'vale', 'ok', 'por supuesto', 'de acuerdo']),
  ...entries('es', 'no', ['no', 'todavía no', 'aún no', 'ahora no', 'no gracias', 'claro que no', 'para nada']),
]);

export function foldWords(text: string): string[] {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w !== '');
}

interface Phrase { words: readonly string[]; value: YesNo }

// Longest first, so "claro que no" is read before "claro" and "not yet" before nothing at all.
const PHRASES: readonly Phrase[] = YES_NO_LEXICON
  .map((e) => ({ words: foldWords(e.phrase), value: e.value }))
  .sort((a, b) => b.words.length - a.words.length || b.words.join(' ').length - a.words.join(' ').length);

export interface YesNoMatch { value: YesNo; words: number }

/**
 * The answer a message opens with, given its folded words: the longest lexicon phrase at its start
 * ("yes i took it", "no, se me olvidó", "claro que no"). A single letter answers only as the whole
 * message ("y" is also Spanish for "and").
 */
export function openingYesNo(words: readonly string[]): YesNoMatch | null {
  for (const p of PHRASES) {
    if (p.words.length > words.length) continue;
    if (!p.words.every((w, i) => words[i] === w)) continue;
    if (p.words.length === 1 && (p.words[0] ?? '').length === 1 && words.length !== 1) continue;
    return { value: p.value, words: p.words.length };
  }
  return null;
}
