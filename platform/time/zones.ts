/*
 * Wall-clock time in a patient's IANA time zone ("every day at 08:00" means 08:00 where the patient
 * is, across daylight-saving changes), with nothing but Intl.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True for a zone name Intl knows ('Europe/Madrid', 'UTC'); false for anything else. */
export function isTimeZone(name: string): boolean {
  if (name === '' || name.length > 64) return false;
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

/** The first usable zone of the candidates (patient's, then organisation's), else UTC. */
export function effectiveTimeZone(...candidates: ReadonlyArray<string | null | undefined>): string {
  for (const c of candidates) if (typeof c === 'string' && isTimeZone(c)) return c;
  return 'UTC';
}

export interface LocalParts {
  year: number; month: number; day: number; hour: number; minute: number; second: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

/** The wall-clock reading in `timeZone` at instant `at` (ms since the epoch). */
export function localParts(at: number, timeZone: string): LocalParts {
  const d = new Date(at + utcOffsetMinutes(timeZone, new Date(at)) * 60_000);
  return {
    year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
    hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), weekday: d.getUTCDay(),
  };
}

// Offsets change only at transitions, which fall on quarter hours: one Intl call per zone and quarter hour.
const QUARTER_HOUR = 900_000;
const offsets = new Map<string, number>();

/** Minutes east of UTC that `timeZone` is at instant `at`, e.g. -300 for New York in winter. */
export function utcOffsetMinutes(timeZone: string, at: Date): number {
  const key = `${timeZone}|${Math.floor(at.getTime() / QUARTER_HOUR)}`;
  const hit = offsets.get(key);
  if (hit !== undefined) return hit;
  const parts = formatter(timeZone).formatToParts(at);
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const offset = Math.round((wall - Math.floor(at.getTime() / 1000) * 1000) / 60000);
  if (offsets.size >= 100_000) offsets.clear();
  offsets.set(key, offset);
  return offset;
}

/**
 * The instant at which the wall clock in `timeZone` reads the given local date and time. A time
 * skipped by a spring-forward change resolves to the same wall time after the change (02:30 → 03:30);
 * a time that occurs twice in autumn resolves to its first occurrence.
 */
export function zonedTimeToUtc(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // The offsets half a day either side: they differ only when a change is near.
  const before = utcOffsetMinutes(timeZone, new Date(wall - 43_200_000));
  const after = utcOffsetMinutes(timeZone, new Date(wall + 43_200_000));
  const valid = [wall - before * 60_000, wall - after * 60_000]
    .filter((at, i) => utcOffsetMinutes(timeZone, new Date(at)) === (i === 0 ? before : after));
  // Twice (autumn): the first; never (spring gap): read with the old offset, which lands after the change.
  return valid.length > 0 ? Math.min(...valid) : wall - before * 60_000;
}

/** The next instant after `now` at which the wall clock in `timeZone` reads hh:mm. */
export function nextLocalTime(now: number, hour: number, minute: number, timeZone: string): number {
  const today = localParts(now, timeZone);
  for (let addDays = 0; addDays < 3; addDays++) {
    const d = new Date(Date.UTC(today.year, today.month - 1, today.day + addDays));
    const at = zonedTimeToUtc(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), hour, minute, timeZone);
    if (at > now) return at;
  }
  return now + 86_400_000; // unreachable for real zones: some day within three has a later hh:mm
}
