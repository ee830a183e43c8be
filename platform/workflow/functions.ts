import type { ValueType } from './catalog.js';

export type Value = number | string | boolean | null;

const MINUTE = 60_000;
const UNITS: Record<string, number> = {
  minute: MINUTE, minutes: MINUTE, hour: 60 * MINUTE, hours: 60 * MINUTE, day: 1440 * MINUTE, days: 1440 * MINUTE,
  week: 10_080 * MINUTE, weeks: 10_080 * MINUTE,
};
export const DURATION_UNITS = Object.keys(UNITS);

/** Milliseconds of "3 days"; null for a unit we do not know (the checker reports WF_BAD_DURATION). */
export function durationMs(amount: number, unit: string): number | null {
  const u = UNITS[unit];
  return u === undefined ? null : amount * u;
}

/** A value read as an instant (ms since epoch): numbers as they are, ISO strings parsed. */
export function asInstant(v: Value): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v !== '') { const t = Date.parse(v); return Number.isFinite(t) ? t : null; }
  return null;
}

interface FunctionDef {
  params: ReadonlyArray<readonly ValueType[]>;
  returns: ValueType;
  run(args: Value[], now: number): Value;
}

const DAY = 86_400_000;
const since = (unit: number) => (args: Value[], now: number): Value => {
  const t = asInstant(args[0] ?? null);
  return t === null ? null : Math.floor((now - t) / unit);
};
const until = (args: Value[], now: number): Value => {
  const t = asInstant(args[0] ?? null);
  return t === null ? null : Math.ceil((t - now) / DAY);
};
const str = (v: Value | undefined): string => (v === null || v === undefined ? '' : String(v));

/** The only functions an expression may call: no I/O, no host objects, total on every input. */
export const FUNCTIONS: Record<string, FunctionDef> = {
  exists: { params: [['unknown']], returns: 'boolean', run: ([v]) => v !== null && v !== undefined && v !== '' },
  days_since: { params: [['date', 'string', 'unknown']], returns: 'number', run: since(DAY) },
  hours_since: { params: [['date', 'string', 'unknown']], returns: 'number', run: since(3_600_000) },
  days_until: { params: [['date', 'string', 'unknown']], returns: 'number', run: until },
  lower: { params: [['string', 'answer', 'unknown']], returns: 'string', run: ([v]) => str(v).toLowerCase() },
  contains: { params: [['string', 'unknown'], ['string', 'unknown']], returns: 'boolean', run: ([a, b]) => str(a).toLowerCase().includes(str(b).toLowerCase()) },
};
