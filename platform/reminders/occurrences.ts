/*
 * A medication's dosage timing → the instants its doses fall on, read in the patient's time zone.
 * FHIR Timing.repeat as ingest/fhir stores it (care.medication_requests.timing), or the plain 'HH:MM'
 * list of patient_medications.schedule_times. Pure: the caller passes the window and the routine.
 */
import { localParts, zonedTimeToUtc } from '../time/zones.js';
import { minutesOf, type Moment, type Routine } from './routine.js';

/** One dosage's timing (FHIR Timing.repeat, flattened); every field optional as imports vary. */
export interface DosageTiming {
  frequency?: number | null;
  period?: number | null;
  periodUnit?: string | null;
  timeOfDay?: readonly string[];
  dayOfWeek?: readonly string[];
  /** Event codes: MORN, AFT, EVE, NIGHT, HS, WAKE, C, CM, CD, CV, AC, ACM, ACD, ACV, PC, PCM, PCD, PCV, … */
  when?: readonly string[];
  /** Minutes before (AC) or after (PC) the event (FHIR Timing.repeat.offset). */
  offset?: number | null;
  boundsStart?: string | null;
  boundsEnd?: string | null;
  /** boundsDuration in days (from boundsStart, else from the anchor). */
  boundsDurationDays?: number | null;
  /** Total doses (FHIR count): the course ends after this many. */
  count?: number | null;
  asNeeded?: boolean;
}

export interface Occurrence {
  /** ms since the epoch. */
  at: number;
  /** The local wall time the dose was meant for, 'YYYY-MM-DDTHH:MM' (for display and tests). */
  local: string;
}

export interface OccurrenceWindow {
  /** Occurrences at or after this instant… */
  from: number;
  /** …and before this one. */
  to: number;
  timeZone: string;
  routine: Routine;
  /** Where counting starts when the timing has no boundsStart: the prescription's date (or the enrolment). */
  anchor: number;
}

const DAY = 86_400_000;
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MAX_OCCURRENCES = 10_000;

/** Event code → the routine moment and the side of it (-1 before by offset, +1 after, 0 at). */
const WHEN: Record<string, Array<[Moment, -1 | 0 | 1]>> = {
  MORN: [['morning', 0]], 'MORN.early': [['wake', 0]], 'MORN.late': [['morning', 0]], NOON: [['noon', 0]],
  AFT: [['afternoon', 0]], 'AFT.early': [['afternoon', 0]], 'AFT.late': [['afternoon', 0]],
  EVE: [['evening', 0]], 'EVE.early': [['evening', 0]], 'EVE.late': [['evening', 0]], NIGHT: [['night', 0]],
  HS: [['bed', 0]], WAKE: [['wake', 0]], PHS: [['bed', 1]],
  C: [['breakfast', 0], ['lunch', 0], ['dinner', 0]], CM: [['breakfast', 0]], CD: [['lunch', 0]], CV: [['dinner', 0]],
  AC: [['breakfast', -1], ['lunch', -1], ['dinner', -1]], ACM: [['breakfast', -1]], ACD: [['lunch', -1]], ACV: [['dinner', -1]],
  PC: [['breakfast', 1], ['lunch', 1], ['dinner', 1]], PCM: [['breakfast', 1]], PCD: [['lunch', 1]], PCV: [['dinner', 1]],
};

/** Minutes after local midnight of each dose on a dosing day, sorted and distinct. */
export function dailyMinutes(t: DosageTiming, routine: Routine): number[] {
  const explicit = (t.timeOfDay ?? []).map(minutesOf).filter((m): m is number => m !== null);
  const fromWhen = (t.when ?? []).flatMap((code) => (WHEN[code] ?? []).map(([moment, side]) => {
    const base = minutesOf(routine.moments[moment]) ?? 0;
    const shift = side === 0 ? 0 : side < 0 ? -(t.offset ?? routine.beforeMealMinutes) : (t.offset ?? routine.afterMealMinutes);
    return Math.min(Math.max(base + shift, 0), 1439);
  }));
  let mins = [...explicit, ...fromWhen];
  if (mins.length === 0) {
    const perDay = perDosingDay(t);
    mins = (routine.daily[perDay] ?? spread(perDay, routine)).map(minutesOf).filter((m): m is number => m !== null);
  }
  return [...new Set(mins)].sort((a, b) => a - b);
}

/** Doses on one dosing day: the frequency when the period is a day or longer ("twice a week" = once on each of two days). */
function perDosingDay(t: DosageTiming): number {
  const f = Math.max(1, Math.round(t.frequency ?? 1));
  return t.periodUnit === 'd' ? f : 1;
}

/** N times evenly between waking and bed, for N beyond the routine's table. */
function spread(n: number, routine: Routine): string[] {
  const wake = minutesOf(routine.moments.wake) ?? 420;
  const bed = minutesOf(routine.moments.bed) ?? 1320;
  const step = n > 1 ? (bed - wake) / (n - 1) : 0;
  return Array.from({ length: Math.min(n, 48) }, (_, i) => {
    const m = Math.round(wake + i * step);
    return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  });
}

/** The occurrences of one timing within the window, in time order; none for as-needed doses or units we cannot remind on. */
export function doseOccurrences(t: DosageTiming, w: OccurrenceWindow): Occurrence[] {
  if (t.asNeeded === true) return [];
  const start = parseInstant(t.boundsStart) ?? w.anchor;
  const ends = [parseInstant(t.boundsEnd), t.boundsDurationDays != null ? start + t.boundsDurationDays * DAY : null].filter((x): x is number => x !== null);
  const end = Math.min(w.to, ...ends);
  // With a count, the course is numbered from its start: generate from there so dose N is the same dose on every run.
  const from = t.count != null ? start : Math.max(w.from, start);
  if (from >= end) return [];
  const unit = t.periodUnit ?? 'd';
  const all = unit === 'h' || unit === 'min' ? intervalOccurrences(t, start, from, end, w.timeZone, w.routine) : calendarOccurrences(t, start, from, end, w);
  const counted = t.count != null ? all.slice(0, Math.max(0, t.count)) : all;
  return counted.filter((o) => o.at >= w.from && o.at < w.to);
}

/** Day-based units (d, wk, mo, a): local wall times on the dosing days. */
function calendarOccurrences(t: DosageTiming, start: number, from: number, end: number, w: OccurrenceWindow): Occurrence[] {
  const unit = t.periodUnit ?? 'd';
  if (!['d', 'wk', 'mo', 'a'].includes(unit)) return [];
  const period = Math.max(1, Math.round(t.period ?? 1));
  const minutes = dailyMinutes(t, w.routine);
  const s = localParts(start, w.timeZone);
  const startDay = Date.UTC(s.year, s.month - 1, s.day) / DAY;
  const weekDays = weeklyDays(t, s.weekday);
  const f = localParts(from, w.timeZone);
  const out: Occurrence[] = [];
  for (let day = Math.max(startDay, Date.UTC(f.year, f.month - 1, f.day) / DAY - 1); out.length < MAX_OCCURRENCES; day++) {
    const d = new Date(day * DAY);
    if (zonedTimeToUtc(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), 0, 0, w.timeZone) >= end) break;
    if (!isDosingDay(unit, period, day - startDay, d, s, weekDays)) continue;
    for (const m of minutes) {
      const at = zonedTimeToUtc(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), Math.floor(m / 60), m % 60, w.timeZone);
      if (at >= from && at >= start && at < end) out.push({ at, local: localLabel(d, m) });
    }
  }
  return out;
}

/** Weekdays a dose falls on: dayOfWeek when given; else N a week spread from the start's weekday; null = every day. */
function weeklyDays(t: DosageTiming, startWeekday: number): Set<number> | null {
  const named = (t.dayOfWeek ?? []).map((d) => DAYS.indexOf(d)).filter((d) => d >= 0);
  if (named.length > 0) return new Set(named);
  if (t.periodUnit !== 'wk') return null;
  const n = Math.min(7, Math.max(1, Math.round(t.frequency ?? 1)));
  return new Set(Array.from({ length: n }, (_, i) => (startWeekday + Math.floor((i * 7) / n)) % 7));
}

function isDosingDay(unit: string, period: number, sinceStart: number, d: Date, s: { year: number; month: number; day: number }, weekDays: Set<number> | null): boolean {
  if (weekDays !== null && !weekDays.has(d.getUTCDay())) return false;
  switch (unit) {
    case 'd': return sinceStart % period === 0 || weekDays !== null;
    case 'wk': return Math.floor(sinceStart / 7) % period === 0;
    case 'mo': return d.getUTCDate() === s.day && ((d.getUTCFullYear() - s.year) * 12 + d.getUTCMonth() + 1 - s.month) % period === 0;
    case 'a': return d.getUTCDate() === s.day && d.getUTCMonth() + 1 === s.month && (d.getUTCFullYear() - s.year) % period === 0;
    default: return false;
  }
}

/** Hour and minute units ("every 8 hours"): a fixed interval in real time, from the start's first waking time. */
function intervalOccurrences(t: DosageTiming, start: number, from: number, end: number, timeZone: string, routine: Routine): Occurrence[] {
  const unitMs = t.periodUnit === 'h' ? 3_600_000 : 60_000;
  const step = (Math.max(t.period ?? 1, 1 / 60) * unitMs) / Math.max(1, t.frequency ?? 1);
  if (step < 15 * 60_000) return []; // more often than every quarter hour is not a reminder
  const s = localParts(start, timeZone);
  const wake = minutesOf(routine.moments.wake) ?? 420;
  let first = zonedTimeToUtc(s.year, s.month, s.day, Math.floor(wake / 60), wake % 60, timeZone);
  if (t.boundsStart != null || first < start) first = start;
  const skip = from > first ? Math.ceil((from - first) / step) : 0;
  const out: Occurrence[] = [];
  for (let at = first + skip * step; at < end && out.length < MAX_OCCURRENCES; at += step) {
    const p = localParts(at, timeZone);
    out.push({ at, local: localLabel(new Date(Date.UTC(p.year, p.month - 1, p.day)), p.hour * 60 + p.minute) });
  }
  return out;
}

/** The 'HH:MM' schedule of a patient enrolled through the API, every day from the anchor. */
export function scheduleOccurrences(times: readonly string[], w: OccurrenceWindow): Occurrence[] {
  const timeOfDay = times.filter((x) => minutesOf(x) !== null);
  if (timeOfDay.length === 0) return [];
  return doseOccurrences({ frequency: timeOfDay.length, period: 1, periodUnit: 'd', timeOfDay }, w);
}

function parseInstant(s: string | null | undefined): number | null {
  if (s == null) return null;
  const at = Date.parse(s);
  return Number.isNaN(at) ? null : at;
}

function localLabel(d: Date, minutes: number): string {
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}T${p2(Math.floor(minutes / 60))}:${p2(minutes % 60)}`;
}
