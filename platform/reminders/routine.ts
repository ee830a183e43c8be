/**
 * A patient's day as the reminder engine reads vague timings against it: when they wake, eat and go
 * to bed, and the times a plain "N times a day" falls on. The organisation sets the default.
 */
export interface Routine {
  /** Named moments of the day, 'HH:MM' local: wake, breakfast, lunch, dinner, bed, morning, noon, afternoon, evening, night. */
  readonly moments: Readonly<Record<Moment, string>>;
  /** Times of a dose taken N times a day without stated times ('HH:MM' local, N = 1…6). */
  readonly daily: Readonly<Record<number, readonly string[]>>;
  /** Minutes before a meal for AC codes (FHIR offset overrides it) and after a meal for PC codes. */
  readonly beforeMealMinutes: number;
  readonly afterMealMinutes: number;
}

export type Moment = 'wake' | 'breakfast' | 'lunch' | 'dinner' | 'bed' | 'morning' | 'noon' | 'afternoon' | 'evening' | 'night';

export const DEFAULT_ROUTINE: Routine = Object.freeze({
  moments: Object.freeze({
    wake: '07:00', breakfast: '08:00', lunch: '13:00', dinner: '19:00', bed: '22:00',
    morning: '08:00', noon: '12:00', afternoon: '15:00', evening: '19:00', night: '22:00',
  }),
  daily: Object.freeze({
    1: ['08:00'], 2: ['08:00', '20:00'], 3: ['08:00', '14:00', '20:00'], 4: ['08:00', '12:00', '16:00', '20:00'],
    5: ['07:00', '10:30', '14:00', '17:30', '21:00'], 6: ['07:00', '10:00', '13:00', '16:00', '19:00', '22:00'],
  }),
  beforeMealMinutes: 30,
  afterMealMinutes: 30,
});

/** 'HH:MM' or 'HH:MM:SS' → minutes after midnight; null for anything else. */
export function minutesOf(hhmm: string): number | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?$/.exec(hhmm.trim());
  return m === null ? null : Number(m[1]) * 60 + Number(m[2]);
}

/** A routine with the given 'HH:MM' overrides (e.g. the organisation's "twice a day" = 09:00, 21:00); bad times are refused by name. */
export function routineWith(base: Routine, overrides: { moments?: Partial<Record<Moment, string>>; daily?: Record<number, readonly string[]> }): Routine {
  const moments = { ...base.moments, ...overrides.moments };
  const daily = { ...base.daily, ...overrides.daily };
  for (const [k, v] of Object.entries(moments)) if (minutesOf(v) === null) throw new RangeError(`routine moment ${k} is not HH:MM`);
  for (const [k, v] of Object.entries(daily)) if (v.some((t) => minutesOf(t) === null)) throw new RangeError(`routine daily.${k} has a time that is not HH:MM`);
  return Object.freeze({ ...base, moments: Object.freeze(moments), daily: Object.freeze(daily) });
}
