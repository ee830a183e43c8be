/**
 * Text as the safety rules read it: lower case, accents folded, apostrophes dropped ("can't" →
 * "cant"), split into clauses, and each long word that is one typo away from a safety word
 * corrected to it ("cant breth" → "cant breath"). Pure and allocation-light: it runs on every message.
 */

/** One clause: its words joined by single spaces, padded with a space on each side for `\b`-free regexes. */
export interface Clause { text: string; question: boolean }

export function foldText(text: string): string {
  return text.replace(/[\u{1F602}\u{1F923}\u{1F606}\u{1F605}\u{1F639}]/gu, ' lol ').normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[’‘`´']/g, '');
}

// Clause breaks: sentence punctuation, and words that turn the sentence ("but my chest hurts now").
const CLAUSE_BREAK = /[.!?;:¿¡\n]+|\s(?:but|however|although|though|except|pero|aunque|sin embargo|excepto|and now|y ahora|now|ahora|today|hoy|but now|pero ahora|right now|this morning|esta manana|tonight|esta noche)\s/g;

/** Damerau-Levenshtein distance (a swap counts one), giving up past `max`. */
export function typoDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) { row.push(j); rowMin = 0; continue; }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const up = rows[i - 1] ?? [];
      let v = Math.min((up[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (up[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      row.push(v);
      rowMin = Math.min(rowMin, v);
    }
    if (i > 0 && rowMin > max) return max + 1;
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? max + 1;
}

// Misspellings by ear that no one-letter edit reaches safely ("hart" is one letter from "heat" too).
const PHONETIC = new Map([
  ['hart', 'heart'], ['harts', 'heart'], ['brethe', 'breathe'], ['breth', 'breath'], ['cheast', 'chest'], ['chets', 'chest'],
  ['siezure', 'seizure'], ['seazure', 'seizure'], ['overdoes', 'overdose'], ['unconsious', 'unconscious'],
  ['desmallo', 'desmayo'], ['desmallado', 'desmayado'], ['desmallada', 'desmayada'], ['convulciona', 'convulsiona'], ['convulcion', 'convulsion'],
  ['respirrar', 'respirar'], ['pexo', 'pecho'],
]);

/** Corrects words to a fixed vocabulary; memoised per instance (the vocabulary is small and fixed). */
export class Speller {
  private readonly byFirst = new Map<string, string[]>();
  private readonly memo = new Map<string, string>();
  private readonly all: readonly string[];
  private readonly short: ReadonlySet<string>;

  constructor(vocabulary: readonly string[], private readonly keep: ReadonlySet<string>, private readonly stems: readonly string[] = []) {
    this.all = [...new Set(vocabulary)].filter((w) => w.length >= 5).sort();
    this.short = new Set(vocabulary.filter((w) => w.length === 4));
    for (const w of this.all) {
      const list = this.byFirst.get(w[0] ?? '') ?? [];
      list.push(w);
      this.byFirst.set(w[0] ?? '', list);
    }
  }

  correct(word: string): string {
    const spelt = PHONETIC.get(word);
    if (spelt !== undefined) return spelt;
    // "convulcionando": c for s by ear, any ending.
    if (word.startsWith('convulc')) return `convuls${word.slice(7)}`;
    if (word.length === 4) return this.swapped(word);
    // Spanish spelt by ear: "desmallo" for "desmayo" (ll and y sound alike in most regions).
    if (word.includes('ll') && !this.keep.has(word)) {
      const v = word.replace(/ll/g, 'y');
      if (this.stems.some((st) => v.startsWith(st)) || this.all.includes(v)) return v;
    }
    if (word.length < 5 || this.keep.has(word) || /\d/.test(word) || this.stems.some((s) => word.startsWith(s))) return word;
    const hit = this.memo.get(word);
    if (hit !== undefined) return hit;
    const out = this.nearest(word);
    if (this.memo.size < 50_000) this.memo.set(word, out);
    return out;
  }

  /** Four-letter words are corrected only for two swapped letters ("pian" → "pain"): any other edit makes another word. */
  private swapped(word: string): string {
    if (this.keep.has(word) || this.short.has(word)) return word;
    for (let i = 0; i + 1 < word.length; i++) {
      const w = word.slice(0, i) + (word[i + 1] ?? '') + (word[i] ?? '') + word.slice(i + 2);
      if (this.short.has(w)) return w;
    }
    return word;
  }

  private nearest(word: string): string {
    if (this.all.includes(word)) return word;
    // One typo anywhere for words of 5+ letters; two only for 10+ letters sharing the first letter.
    const max = word.length >= 10 ? 2 : 1;
    let best = word;
    let bestD = max + 1;
    const pool = max === 2 ? (this.byFirst.get(word[0] ?? '') ?? []) : this.all;
    for (const v of pool) {
      if (v.length < 5) continue;
      const limit = Math.min(max, v.length >= 10 ? 2 : 1);
      const d = typoDistance(word, v, limit);
      if (d <= limit && d < bestD) { best = v; bestD = d; }
    }
    return best;
  }
}

/** Splits folded text into clauses of corrected words. */
export function clauses(text: string, speller: Speller): Clause[] {
  const folded = ` ${foldText(text).replace(/\s+/g, ' ')} `;
  const out: Clause[] = [];
  let last = 0;
  const push = (part: string, question: boolean): void => {
    const words = part.replace(/[^\p{L}\p{N},]+/gu, ' ').replace(/,/g, ' , ').split(' ').filter((w) => w !== '');
    if (words.length === 0) return;
    out.push({ text: ` ${words.map((w) => speller.correct(w)).join(' ')} `, question });
  };
  for (const m of folded.matchAll(CLAUSE_BREAK)) {
    push(folded.slice(last, m.index), m[0].includes('?'));
    // A turning word ("but", "now") opens the next clause, so it stays in it.
    last = /\p{L}/u.test(m[0]) ? m.index : m.index + m[0].length;
  }
  push(folded.slice(last), false);
  return out;
}
