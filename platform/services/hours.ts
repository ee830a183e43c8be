import { localParts } from '../time/zones.js';
import type { OpeningHours } from './directory.js';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const minutes = (hhmm: string): number => {
  const [h, m] = hhmm.split(':');
  return Number(h ?? 0) * 60 + Number(m ?? 0);
};

/** Open at `at` in `timeZone`: true or false when hours are known, null when none are given. */
export function openAt(hours: readonly OpeningHours[], at: number, timeZone: string): boolean | null {
  if (hours.length === 0) return null;
  const p = localParts(at, timeZone);
  const day = DAYS[p.weekday] ?? 'sun';
  const now = p.hour * 60 + p.minute;
  return hours.some((h) => (h.days.length === 0 || h.days.includes(day))
    && (h.allDay || (h.opens !== null && h.closes !== null && now >= minutes(h.opens) && now < minutes(h.closes))));
}
