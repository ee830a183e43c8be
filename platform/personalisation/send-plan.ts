/*
 * The send-time decision as a reader of the profile calls it (the reminder engine for a dose due
 * inside the prescriber's window, a refill nudge, a check-in): the profile's per-hour prompts and
 * answers in, one instant out, in the patient's zone and outside quiet hours. Features arrive as
 * plain numbers, so this stays free of the profile store.
 */
import type { Uniform } from '../random/distributions.js';
import type { ArmStats } from './beta.js';
import { chooseSendHour, DEFAULT_SEND_TIME, emptyHourly, sendInstant, type HourlyStats, type SendTimeOptions, type SendWindow } from './send-time.js';

/** Per local hour 0…23: proactive messages delivered and those answered in time (the profile's ChannelHours shape). */
export interface HourCounts { prompts: readonly number[]; answered: readonly number[] }

/** Sums channels' hour counts into the bandit's per-hour stats. */
export function hourlyOf(channels: readonly HourCounts[]): ArmStats[] {
  const out = emptyHourly();
  for (const c of channels) {
    for (let h = 0; h < 24; h += 1) {
      const sends = Math.max(0, c.prompts[h] ?? 0);
      out[h]!.sends += sends;
      out[h]!.rewards += Math.min(sends, Math.max(0, c.answered[h] ?? 0));
    }
  }
  return out;
}

export interface SendPlanInput {
  /** The patient's hour counts, one entry per channel (empty for a new patient). */
  patient: readonly HourCounts[];
  /** The segment's pooled hour stats (the daily segment job's sums). */
  segment: HourlyStats;
  window: SendWindow;
  timeZone: string;
  /** The patient's local date the message is for. */
  date: { year: number; month: number; day: number };
  rand: Uniform;
  options?: SendTimeOptions;
  /** The local hour the message was scheduled for (a dose time, the patient's chosen time), if any. */
  anchorHour?: number;
}

export interface SendPlan { at: number; hour: number }

/** When to send: null when the window has no hour outside quiet hours (the caller keeps its own time). */
export function planSendTime(input: SendPlanInput): SendPlan | null {
  const choice = chooseSendHour(hourlyOf(input.patient), input.segment, input.window, input.rand, input.options ?? DEFAULT_SEND_TIME, input.anchorHour ?? null);
  return choice === null ? null : { hour: choice.hour, at: sendInstant(input.date, choice.hour, input.timeZone) };
}
