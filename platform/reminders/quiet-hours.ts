/*
 * Quiet hours: a window of the patient's night (organisation default) in which no reminder is sent;
 * one that falls inside waits for the window's end, local time, whatever the daylight-saving change.
 */
import { localParts, zonedTimeToUtc } from '../time/zones.js';
import { minutesOf } from './routine.js';

export interface QuietHours {
  /** 'HH:MM' local: the window starts here… */
  start: string;
  /** …and ends here (before start: the window spans midnight). */
  end: string;
}

/** Quiet hours from stored settings ({start, end}); null when absent, empty or malformed. */
export function parseQuietHours(raw: unknown): QuietHours | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { start, end } = raw as { start?: unknown; end?: unknown };
  if (typeof start !== 'string' || typeof end !== 'string') return null;
  const s = minutesOf(start);
  const e = minutesOf(end);
  return s === null || e === null || s === e ? null : { start, end };
}

/** The instant a reminder due at `at` is sent: `at` itself outside quiet hours, else the window's end. */
export function deferForQuietHours(at: number, quiet: QuietHours | null, timeZone: string): number {
  if (quiet === null) return at;
  const s = minutesOf(quiet.start) ?? 0;
  const e = minutesOf(quiet.end) ?? 0;
  const p = localParts(at, timeZone);
  const m = p.hour * 60 + p.minute;
  const inside = s < e ? m >= s && m < e : m >= s || m < e;
  if (!inside) return at;
  // The window ends today unless it spans midnight and we are before midnight.
  const addDays = s > e && m >= s ? 1 : 0;
  const d = new Date(Date.UTC(p.year, p.month - 1, p.day + addDays));
  return zonedTimeToUtc(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), Math.floor(e / 60), e % 60, timeZone);
}
