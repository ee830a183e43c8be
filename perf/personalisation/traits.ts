/*
 * The simulated population of perf/personalisation/TRAITS.md, drawn from a seed. Hidden traits are
 * the simulator's alone: a policy receives only `observable`.
 */
import { beta, categorical, normal, type Uniform } from '../../platform/random/distributions.js';

export const AGE_BANDS = ['18-39', '40-64', '65+'] as const;
export type AgeBand = (typeof AGE_BANDS)[number];
export const TIME_ZONES = ['America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles', 'America/Puerto_Rico'] as const;
const ZONE_WEIGHTS = [0.40, 0.25, 0.10, 0.20, 0.05];
const AGE_WEIGHTS = [0.30, 0.45, 0.25];
/** (early, day, evening, shift) by age band. */
const CHRONOTYPE_BY_AGE: Record<AgeBand, number[]> = { '18-39': [0.10, 0.30, 0.45, 0.15], '40-64': [0.25, 0.35, 0.30, 0.10], '65+': [0.50, 0.30, 0.15, 0.05] };
const PEAK_BY_CHRONOTYPE: Array<[number, number]> = [[7.5, 1.0], [12.5, 1.5], [19.5, 1.0], [15.0, 2.0]];
const TONE_BY_AGE: Record<AgeBand, number[]> = { '18-39': [0.2, 0.3, 0.5], '40-64': [1 / 3, 1 / 3, 1 / 3], '65+': [0.5, 0.3, 0.2] };

/** The prescriber's dose window and the organisation's quiet hours, local: hours 7…21 may be used. */
export const DOSE_WINDOW = { firstHour: 7, lastHour: 21 } as const;
export const QUIET_HOURS = { start: '22:00', end: '07:00' } as const;
export const TONE_PENALTY = 0.8;
export const ANSWERED_DOSE_P = 0.92;
export const FLOOR_P = 0.03;

export interface Observable {
  index: number;
  ageBand: AgeBand;
  timeZone: string;
  channel: 'WEB' | 'SMS';
  statedHour: number;
  joinDay: number;
}

export interface Hidden {
  chronotype: number;
  peakHour: number;
  weekendShift: number;
  width: number;
  responsiveness: number;
  preferredTone: number;
  habituation: number;
  channelFactor: number;
  baselineAdherence: number;
}

export interface SimPatient { observable: Observable; hidden: Hidden }

const wrap24 = (h: number): number => ((h % 24) + 24) % 24;

export function drawPatient(rand: Uniform, index: number): SimPatient {
  const ageBand = AGE_BANDS[categorical(rand, AGE_WEIGHTS)] ?? '40-64';
  const timeZone = TIME_ZONES[categorical(rand, ZONE_WEIGHTS)] ?? 'America/New_York';
  const channel = rand() < 0.5 ? 'WEB' : 'SMS';
  const chronotype = categorical(rand, CHRONOTYPE_BY_AGE[ageBand]);
  const [mean, sd] = PEAK_BY_CHRONOTYPE[chronotype] ?? [12, 1];
  const peakHour = wrap24(normal(rand, mean, sd));
  const weekendShift = Math.floor(rand() * 3);
  const width = 1.5 + 2 * rand();
  const responsiveness = beta(rand, 6, 4);
  const preferredTone = categorical(rand, TONE_BY_AGE[ageBand]);
  const habituation = 0.08 * rand();
  const baselineAdherence = beta(rand, 4, 3);
  const stated = Math.round(peakHour + normal(rand, 0, 2.5));
  const statedHour = Math.min(DOSE_WINDOW.lastHour, Math.max(DOSE_WINDOW.firstHour, stated));
  const joinDay = rand() < 0.8 ? 0 : 60;
  return {
    observable: { index, ageBand, timeZone, channel, statedHour, joinDay },
    hidden: { chronotype, peakHour, weekendShift, width, responsiveness, preferredTone, habituation, channelFactor: channel === 'WEB' ? 0.85 : 1.0, baselineAdherence },
  };
}

/** Circular distance in hours on the 24-hour clock. */
export function hourDistance(a: number, b: number): number {
  const d = Math.abs(wrap24(a) - wrap24(b));
  return Math.min(d, 24 - d);
}

/**
 * The chance this patient answers within 4 hours a reminder sent at local `hour` with wording `tone`,
 * that wording being the `repeat`-th consecutive send of it (1 = new).
 */
export function answerProbability(h: Hidden, hour: number, tone: number, repeat: number, weekend: boolean): number {
  const peak = h.peakHour + (weekend ? h.weekendShift : 0);
  const d = hourDistance(hour, peak);
  const timing = Math.exp(-(d * d) / (2 * h.width * h.width));
  const toneF = tone === h.preferredTone ? 1 : TONE_PENALTY;
  const habit = Math.pow(1 - h.habituation, Math.min(repeat, 6) - 1);
  return Math.min(0.98, Math.max(0, FLOOR_P + h.responsiveness * timing * toneF * habit * h.channelFactor));
}

/** The chance the day's dose is taken, given whether the reminder was answered. */
export function doseProbability(h: Hidden, answered: boolean): number {
  return answered ? ANSWERED_DOSE_P : h.baselineAdherence;
}

export function drawPopulation(rand: Uniform, size: number): SimPatient[] {
  return Array.from({ length: size }, (_, i) => drawPatient(rand, i));
}
