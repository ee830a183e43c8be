import * as chrono from 'chrono-node';
import type { Chrono, ParsingContext, ParsingResult } from 'chrono-node';
import { utcOffsetMinutes } from '../time/zones.js';

export interface DateMatch { text: string; start: number; end: number; value: string }

// chrono's Spanish parser reads "a las 3 de la tarde" as 3 a.m. plus a separate "tarde"; this folds the
// day-part phrase into the time before it, so "mañana a las 5 de la tarde" is 17:00.
const DAY_PART = /^\s*(?:de|en|por) la (tarde|noche|manana|mañana)\b/i;

function refineSpanishDayPart(context: ParsingContext, results: ParsingResult[]): ParsingResult[] {
  const swallowed: Array<[number, number]> = [];
  for (const r of results) {
    const after = context.text.slice(r.index + r.text.length);
    const m = DAY_PART.exec(after);
    if (m === null || !r.start.isCertain('hour') || r.start.isCertain('meridiem')) continue;
    const hour = r.start.get('hour') ?? 0;
    const pm = m[1] === 'tarde' || m[1] === 'noche';
    if (pm && hour < 12) r.start.assign('hour', hour + 12);
    r.start.assign('meridiem', pm ? 1 : 0);
    const end = r.index + r.text.length + m[0].length;
    swallowed.push([r.index + r.text.length, end]);
    r.text = context.text.slice(r.index, end);
  }
  return results.filter((r) => !swallowed.some(([s, e]) => r.index >= s && r.index < e));
}

function spanishParser(): Chrono {
  const parser = chrono.es.casual.clone();
  parser.refiners.push({ refine: refineSpanishDayPart });
  return parser;
}

/** Stateless parsers, built once per model: chrono configurations are immutable after set-up. */
export interface DateParsers { en: Chrono; es: Chrono }

export function createDateParsers(): DateParsers {
  return { en: chrono.en.casual.clone(), es: spanishParser() };
}

/** Dates and times in `text`, resolved against `now` in `timeZone` (UTC when absent), as ISO instants. */
export function findDates(parsers: DateParsers, language: 'en' | 'es', text: string, now: Date, timeZone?: string): DateMatch[] {
  const timezone = timeZone === undefined ? 0 : utcOffsetMinutes(timeZone, now);
  const results = parsers[language].parse(text, { instant: now, timezone }, { forwardDate: true });
  return results.map((r) => ({ text: r.text, start: r.index, end: r.index + r.text.length, value: r.start.date().toISOString() }));
}
