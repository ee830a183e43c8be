import type { DateParsers } from '../nlu/dates.js';
import { localParts, utcOffsetMinutes, zonedTimeToUtc } from '../time/zones.js';

/*
 * Free dates in a booking request ("next Tuesday afternoon", "el martes que viene por la tarde") →
 * the window of time the patient asks for and the part of the day. Pure, on the NLU's date parsers.
 */

export type PartOfDay = 'morning' | 'afternoon' | 'evening';

export interface AskedTime {
  /** Window start and end (ms since the epoch); absent when the text names no date. */
  from?: number;
  to?: number;
  partOfDay?: PartOfDay;
}

const DAY = 86_400_000;

/** Local hours of each part of the day: [from, to). */
export const PART_HOURS: Record<PartOfDay, readonly [number, number]> = { morning: [7, 12], afternoon: [12, 17], evening: [17, 21] };

const fold = (t: string): string => t.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

export function partOfDayIn(text: string, language: 'en' | 'es'): PartOfDay | undefined {
  const t = fold(text);
  if (language === 'es') {
    // "mañana" alone is "tomorrow"; the morning is "por/de/en la mañana".
    if (/\b(por|de|en) la manana\b|\bmatutin/.test(t)) return 'morning';
    if (/\btarde\b/.test(t)) return 'afternoon';
    if (/\bnoche\b/.test(t)) return 'evening';
    return undefined;
  }
  if (/\bmorning\b|\bam\b|\bbefore noon\b/.test(t)) return 'morning';
  if (/\bafternoon\b|\bafter lunch\b/.test(t)) return 'afternoon';
  if (/\bevening\b|\btonight\b|\bafter work\b/.test(t)) return 'evening';
  return undefined;
}

function localDayStart(at: number, timeZone: string): number {
  const p = localParts(at, timeZone);
  return zonedTimeToUtc(p.year, p.month, p.day, 0, 0, timeZone);
}

/** What time the text asks for, resolved against `now` in the patient's zone. */
export function askedTime(parsers: DateParsers, text: string, language: 'en' | 'es', now: number, timeZone: string): AskedTime {
  const partOfDay = partOfDayIn(text, language);
  const part = partOfDay === undefined ? {} : { partOfDay };
  const parsed = parsers[language].parse(text, { instant: new Date(now), timezone: utcOffsetMinutes(timeZone, new Date(now)) }, { forwardDate: true })[0];
  if (parsed === undefined) return part;
  let at = parsed.start.date().getTime();
  const t = fold(text);
  // chrono reads "el martes que viene" on a Tuesday as today; the patient means next week's.
  if (/\b(que viene|proxim[oa])\b/.test(t) && localDayStart(at, timeZone) === localDayStart(now, timeZone)) at += 7 * DAY;
  if (/\b(next week|semana que viene|proxima semana)\b/.test(t)) {
    const start = localDayStart(at, timeZone);
    return { from: start, to: start + 7 * DAY, ...part };
  }
  if (parsed.start.isCertain('hour')) return { from: at - 30 * 60_000, to: at + 2 * 3_600_000, ...part };
  const start = localDayStart(at, timeZone);
  return { from: Math.max(start, now), to: start + DAY, ...part };
}
