import * as chrono from 'chrono-node';
import type { Chrono, ParsingContext, ParsingResult } from 'chrono-node';

export interface DateMatch { text: string; start: number; end: number; value: string }

/** Minutes east of UTC that `timeZone` (IANA) is at `at`, e.g. -300 for New York in winter. */
export function utcOffsetMinutes(timeZone: string, at: Date): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  }).formatToParts(at);
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((wall - Math.floor(at.getTime() / 1000) * 1000) / 60000);
}

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
