import { tokenize } from './text.js';

export type Language = 'en' | 'es';
export const LANGUAGES: readonly Language[] = ['en', 'es'];

/** Word counts per language, learnt from the training corpus and stored in the model file. */
export type Vocabulary = Record<Language, Record<string, number>>;

// Short answers the corpus may not hold but that settle the language on their own.
const SEED: Record<Language, readonly string[]> = {
  en: ['yes', 'yeah', 'yep', 'yup', 'nope', 'nah', 'sure', 'thanks', 'please', 'the', 'my', 'i', 'is', 'and', 'to'],
  es: ['si', 'claro', 'vale', 'gracias', 'porfa', 'el', 'la', 'mi', 'yo', 'es', 'y', 'de', 'que', 'en', 'ya'],
};
const SEED_WEIGHT = 5;

export function buildVocabulary(corpus: Record<Language, readonly string[]>): Vocabulary {
  const vocab: Vocabulary = { en: {}, es: {} };
  for (const lang of LANGUAGES) {
    const counts = vocab[lang];
    for (const w of SEED[lang]) counts[w] = (counts[w] ?? 0) + SEED_WEIGHT;
    for (const line of corpus[lang]) for (const t of tokenize(line)) counts[t.folded] = (counts[t.folded] ?? 0) + 1;
  }
  return vocab;
}

/** Fast lookup form of a vocabulary: totals computed once. */
export interface LanguageGuesser { guess(text: string): { language: Language; margin: number } }

// Spanish-only characters: a strong hint even in a one-word message ("sí", "¿cita?").
const SPANISH_MARKS = /[ñáéíóúü¿¡]/i;

/**
 * Naive Bayes over the corpus words: the log-likelihood ratio of Spanish over English. `margin` is
 * its absolute value, so callers can treat a small margin ("ok", "10") as undecided.
 */
export function languageGuesser(vocab: Vocabulary): LanguageGuesser {
  const size = new Set([...Object.keys(vocab.en), ...Object.keys(vocab.es)]).size;
  const total = (lang: Language): number => Object.values(vocab[lang]).reduce((a, b) => a + b, 0) + size;
  const totals = { en: total('en'), es: total('es') };
  return {
    guess(text: string) {
      let score = SPANISH_MARKS.test(text) ? 2 : 0;
      for (const t of tokenize(text)) {
        const en = vocab.en[t.folded];
        const es = vocab.es[t.folded];
        if (en === undefined && es === undefined) continue;
        score += Math.log(((es ?? 0) + 1) / totals.es) - Math.log(((en ?? 0) + 1) / totals.en);
      }
      return { language: score > 0 ? 'es' : 'en', margin: Math.abs(score) };
    },
  };
}

/** 'es', 'es-MX', 'ES_es' → 'es'; anything else we do not serve → null (detect instead). */
export function localeLanguage(locale: string | null): Language | null {
  if (locale === null) return null;
  const base = locale.trim().toLowerCase().split(/[-_]/)[0];
  return base === 'en' || base === 'es' ? base : null;
}
