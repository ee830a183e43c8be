import { openingYesNo } from '../lexicon/yes-no.js';
import { findDates, type DateParsers } from './dates.js';
import { tokenize, type Token } from './text.js';
import { conceptsIn } from '../services/match.js';

export interface Entity {
  type: 'datetime' | 'medication' | 'yes_no' | 'number' | 'service';
  value: string;
  text: string;
  start: number;
  end: number;
}

/** Levenshtein distance, stopping early once it exceeds `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const v = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      cur.push(v);
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length] ?? max + 1;
}

function nameMatches(candidate: string, name: string): boolean {
  if (candidate === name) return true;
  // One typo is tolerated only on longer names: "advil"/"advl" yes, "asa"/"aspa" no.
  return name.length >= 5 && editDistance(candidate, name, 1) <= 1;
}

/** The patient's own medications named in the text; value is the name as written in their list. */
export function findMedications(tokens: readonly Token[], text: string, medications: readonly string[]): Entity[] {
  const names = medications
    .map((canonical) => ({ canonical, words: tokenize(canonical).map((t) => t.folded) }))
    .filter((n) => n.words.length > 0)
    .sort((a, b) => b.words.length - a.words.length || b.canonical.length - a.canonical.length);
  const found: Entity[] = [];
  for (const { canonical, words } of names) {
    for (let i = 0; i + words.length <= tokens.length; i += 1) {
      const window = tokens.slice(i, i + words.length);
      const first = window[0];
      const last = window[window.length - 1];
      if (first === undefined || last === undefined) continue;
      if (!nameMatches(window.map((t) => t.folded).join(' '), words.join(' '))) continue;
      const entity: Entity = { type: 'medication', value: canonical, text: text.slice(first.start, last.end), start: first.start, end: last.end };
      if (!found.some((f) => overlaps(f, entity))) found.push(entity);
    }
  }
  return found;
}

/** A yes/no answer: the lexicon phrase the message opens with ("yes i took it", "todavía no"). */
export function findYesNo(tokens: readonly Token[], text: string): Entity[] {
  const match = openingYesNo(tokens.map((t) => t.folded));
  const first = tokens[0];
  const last = match === null ? undefined : tokens[match.words - 1];
  if (match === null || first === undefined || last === undefined) return [];
  return [{ type: 'yes_no', value: match.value, text: text.slice(first.start, last.end), start: first.start, end: last.end }];
}

const NUMBER_WORDS: ReadonlyMap<string, number> = new Map([
  ['one', 1], ['two', 2], ['three', 3], ['four', 4], ['five', 5], ['six', 6], ['seven', 7], ['eight', 8], ['nine', 9], ['ten', 10],
  ['uno', 1], ['dos', 2], ['tres', 3], ['cuatro', 4], ['cinco', 5], ['seis', 6], ['siete', 7], ['ocho', 8], ['nueve', 9], ['diez', 10],
]);

/** Digits ("38.5", "38,5", "482913") and the number words one..ten / uno..diez. */
export function findNumbers(tokens: readonly Token[], text: string): Entity[] {
  const out: Entity[] = [];
  for (const m of text.matchAll(/\d+(?:[.,]\d+)?/g)) {
    out.push({ type: 'number', value: String(Number(m[0].replace(',', '.'))), text: m[0], start: m.index, end: m.index + m[0].length });
  }
  for (const t of tokens) {
    const n = NUMBER_WORDS.get(t.folded);
    if (n !== undefined) out.push({ type: 'number', value: String(n), text: t.text, start: t.start, end: t.end });
  }
  return out;
}

/** The healthcare services a message asks for, as concept ids ("dentistry+pediatrics"); the whole text is its span. */
export function findServiceConcepts(text: string): Entity[] {
  const found = [...conceptsIn(text).entries()].sort((a, b) => b[1] - a[1]).map(([id]) => id);
  return found.length === 0 ? [] : [{ type: 'service', value: found.join('+'), text, start: 0, end: text.length }];
}

function overlaps(a: Entity, b: Entity): boolean {
  return a.start < b.end && b.start < a.end;
}

export interface EntityOptions { language: 'en' | 'es'; medications: readonly string[]; now: Date; timeZone?: string }

/**
 * All entities in `text`, ordered by position. Dates win over the numbers inside them ("at 3pm" is
 * not the number 3); medications win over yes/no ("no" inside a name is not an answer).
 */
export function extractEntities(parsers: DateParsers, text: string, opts: EntityOptions): Entity[] {
  const tokens = tokenize(text);
  const dates: Entity[] = findDates(parsers, opts.language, text, opts.now, opts.timeZone).map((d) => ({ type: 'datetime', ...d }));
  const meds = findMedications(tokens, text, opts.medications);
  const taken = [...dates, ...meds];
  const rest = [...findYesNo(tokens, text), ...findNumbers(tokens, text)].filter((e) => !taken.some((t) => overlaps(t, e)));
  return [...taken, ...rest, ...findServiceConcepts(text)].sort((a, b) => a.start - b.start || a.end - b.end);
}
