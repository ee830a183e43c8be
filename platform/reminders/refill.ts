/*
 * A dispense → the day the patient should refill: the supply runs out days-supply days after it was
 * handed over; the reminder comes a configurable number of days before, at a routine time, local.
 */
import { localParts, zonedTimeToUtc } from '../time/zones.js';
import { minutesOf } from './routine.js';

export interface Dispense {
  handedOverAt: number;
  /** Days the dispense lasts; when absent, quantity ÷ doses a day. */
  daysSupply?: number | null;
  quantity?: number | null;
  dosesPerDay?: number | null;
}

const DAY = 86_400_000;

/** Whole days a dispense lasts, or null when neither the days supply nor quantity and daily dose are known. */
export function supplyDays(d: Dispense): number | null {
  if (d.daysSupply != null && d.daysSupply > 0) return Math.floor(d.daysSupply);
  if (d.quantity != null && d.dosesPerDay != null && d.quantity > 0 && d.dosesPerDay > 0) return Math.floor(d.quantity / d.dosesPerDay);
  return null;
}

/**
 * When the refill reminder falls: at `at` ('HH:MM' local) on the day `leadDays` before the first day
 * without medication (handed over on day 0 with 30 days' supply: day 30 has none, lead 3 → day 27).
 * Never before the hand-over day; null when the supply is unknown.
 */
export function refillDueAt(d: Dispense, opts: { leadDays: number; at: string; timeZone: string }): number | null {
  const days = supplyDays(d);
  if (days === null) return null;
  const handed = localParts(d.handedOverAt, opts.timeZone);
  const offset = Math.max(0, days - Math.max(0, opts.leadDays));
  const day = new Date(Date.UTC(handed.year, handed.month - 1, handed.day) + offset * DAY);
  const m = minutesOf(opts.at) ?? 600;
  const due = zonedTimeToUtc(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), Math.floor(m / 60), m % 60, opts.timeZone);
  return Math.max(due, d.handedOverAt);
}
