/*
 * Send-time optimisation: which local hour a movable proactive message (refill nudge, check-in,
 * dose reminder inside the prescriber's window) goes out at, by Thompson sampling over hour slots.
 * Each slot's rate of "answered within N hours" has a Beta posterior: the patient's own evidence on
 * top of the segment's pooled rate, so a new patient starts from what works for people like them.
 */
import { beta, type Uniform } from '../random/distributions.js';
import { minutesOf } from '../reminders/routine.js';
import type { QuietHours } from '../reminders/quiet-hours.js';
import { zonedTimeToUtc } from '../time/zones.js';
import type { ArmStats, BetaParams } from './beta.js';

/** Per local hour 0…23: sends and answers. The profile's "response rate by hour" is this. */
export type HourlyStats = readonly ArmStats[];

export interface SendTimeOptions {
  /** Pseudo-observations the segment's rate weighs as, per slot, for a patient with no evidence. */
  priorStrength: number;
  /** Weight of a neighbouring hour's evidence (response rates change smoothly over the day). */
  neighbourWeight: number;
  /** Pseudo-answers credited to the anchor hour (the time the message was scheduled for), when one is given. */
  anchorWeight: number;
}

export const DEFAULT_SEND_TIME: SendTimeOptions = Object.freeze({ priorStrength: 4, neighbourWeight: 0.5, anchorWeight: 2 });

export interface SendWindow {
  /** Earliest and latest local hour the message may go out (the dose window the prescriber allows). */
  firstHour: number;
  lastHour: number;
  quiet: QuietHours | null;
}

/** The local hours of the window that fall outside quiet hours. */
export function allowedHours(w: SendWindow): number[] {
  const out: number[] = [];
  const s = w.quiet === null ? null : minutesOf(w.quiet.start);
  const e = w.quiet === null ? null : minutesOf(w.quiet.end);
  for (let h = w.firstHour; h <= w.lastHour; h += 1) {
    const hour = ((h % 24) + 24) % 24;
    const m = hour * 60;
    const quiet = s !== null && e !== null && s !== e && (s < e ? m >= s && m < e : m >= s || m < e);
    if (!quiet) out.push(hour);
  }
  return out;
}

const at = (stats: HourlyStats, h: number): ArmStats => stats[((h % 24) + 24) % 24] ?? { sends: 0, rewards: 0 };

/** The posterior of hour `h`: the segment's rate as prior, then the patient's own (smoothed) evidence. */
export function slotPosterior(patient: HourlyStats, segment: HourlyStats, h: number, o: SendTimeOptions = DEFAULT_SEND_TIME, anchorHour: number | null = null): BetaParams {
  const seg = at(segment, h);
  // An hour the segment has little evidence on leans to the segment's overall rate, not to 1/2.
  const overall = overallRate(segment);
  const mean = (seg.rewards + 2 * overall) / (seg.sends + 2);
  const strength = o.priorStrength;
  let sends = at(patient, h).sends;
  let rewards = at(patient, h).rewards;
  for (const n of [h - 1, h + 1]) {
    sends += o.neighbourWeight * at(patient, n).sends;
    rewards += o.neighbourWeight * at(patient, n).rewards;
  }
  if (anchorHour !== null) {
    // The scheduled time is the patient's (or prescriber's) own guess: answered pseudo-sends there, half beside it.
    const d = Math.min(Math.abs(h - anchorHour) % 24, 24 - (Math.abs(h - anchorHour) % 24));
    const w = d === 0 ? o.anchorWeight : d === 1 ? o.neighbourWeight * o.anchorWeight : 0;
    sends += w;
    rewards += w;
  }
  return { a: mean * strength + rewards, b: (1 - mean) * strength + Math.max(0, sends - rewards) };
}

function overallRate(stats: HourlyStats): number {
  let sends = 0;
  let rewards = 0;
  for (const s of stats) { sends += s.sends; rewards += s.rewards; }
  return (rewards + 1) / (sends + 2);
}

export interface SendTimeChoice { hour: number; sampled: number }

/** One Thompson draw per allowed hour; the highest draw wins. Null when no hour is allowed. */
export function chooseSendHour(patient: HourlyStats, segment: HourlyStats, window: SendWindow, rand: Uniform, o: SendTimeOptions = DEFAULT_SEND_TIME, anchorHour: number | null = null): SendTimeChoice | null {
  return chooseAmongHours(patient, segment, allowedHours(window), rand, o, anchorHour);
}

/** One Thompson draw per candidate local hour, in the order given; the highest draw wins. Null for none. */
export function chooseAmongHours(patient: HourlyStats, segment: HourlyStats, hours: readonly number[], rand: Uniform, o: SendTimeOptions = DEFAULT_SEND_TIME, anchorHour: number | null = null): SendTimeChoice | null {
  let best: SendTimeChoice | null = null;
  for (const h of hours) {
    const p = slotPosterior(patient, segment, h, o, anchorHour);
    const sampled = beta(rand, p.a, p.b);
    if (best === null || sampled > best.sampled) best = { hour: h, sampled };
  }
  return best;
}

/** The instant of local `hour`:00 on the patient's local date (y, m, d), in their time zone. */
export function sendInstant(date: { year: number; month: number; day: number }, hour: number, timeZone: string): number {
  return zonedTimeToUtc(date.year, date.month, date.day, hour, 0, timeZone);
}

/** Sums patients' hourly stats into a segment's (the daily recomputation does this). */
export function poolHourly(into: ArmStats[], add: HourlyStats): void {
  for (let h = 0; h < 24; h += 1) {
    const t = into[h] ?? { sends: 0, rewards: 0 };
    t.sends += at(add, h).sends;
    t.rewards += at(add, h).rewards;
    into[h] = t;
  }
}

export const emptyHourly = (): ArmStats[] => Array.from({ length: 24 }, () => ({ sends: 0, rewards: 0 }));
