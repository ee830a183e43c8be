/*
 * A seeded synthetic population for benchmarks, the risk model's training and held-out evaluation,
 * and tests: each patient has hidden traits (active hour, responsiveness, adherence and its drift, a
 * weak weekday, channel, language) and yields the events the real topics would carry. Synthetic
 * data only: no real patient is behind any figure computed from it.
 */
import type { ProfileChannel } from '../platform/profiles/features.js';
import type { ProfileEvent } from './evolve.js';

export interface Traits {
  hour: number;
  respond: number;
  adherence: number;
  /** Change of the daily taking probability per 30 days (negative: slipping). */
  drift: number;
  weakWeekday: number;
  channel: ProfileChannel;
  language: 'en' | 'es';
}

export interface SyntheticPatient {
  patientId: string;
  traits: Traits;
  events: ProfileEvent[];
  /** The label the risk model predicts: PDC over the 30 days after the history below 0.8. */
  nonAdherentNext30: boolean;
}

const DAY = 86_400_000;

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

export function drawTraits(rand: () => number): Traits {
  const archetype = rand();
  const hour = archetype < 0.4 ? 7 + Math.floor(rand() * 3) : archetype < 0.8 ? 18 + Math.floor(rand() * 4) : 11 + Math.floor(rand() * 4);
  return {
    hour,
    respond: clamp(0.15 + rand() * 0.8, 0, 1),
    adherence: clamp(0.6 + rand() * 0.4, 0, 0.99),
    drift: (rand() - 0.55) * 0.3,
    weakWeekday: Math.floor(rand() * 7),
    channel: rand() < 0.6 ? 'SMS' : 'WEB',
    language: rand() < 0.25 ? 'es' : 'en',
  };
}

/** Probability of taking the dose on day d (from the start of the history), with drift and a weak weekday. */
function takeProbability(t: Traits, d: number, weekday: number): number {
  return clamp(t.adherence + t.drift * (d / 30) - (weekday === t.weakWeekday ? 0.25 : 0), 0.02, 0.99);
}

/** `days` of history from `start` (UTC midnight), then the label drawn from the next 30 days. */
export function syntheticPatient(rand: () => number, patientId: string, start: number, days: number): SyntheticPatient {
  const t = drawTraits(rand);
  const events: ProfileEvent[] = [];
  for (let d = 0; d < days; d++) {
    const due = start + d * DAY + t.hour * 3_600_000;
    const weekday = new Date(due).getUTCDay();
    events.push({ kind: 'dose_due', id: `${patientId}:due:${d}`, at: due });
    events.push({ kind: 'prompt', id: `${patientId}:p:${d}`, at: due + 60_000, channel: t.channel });
    const engaged = rand() < clamp(t.respond + t.drift * (d / 30), 0.02, 1);
    if (!engaged) continue;
    const replyAt = due + Math.floor(2 + rand() * 90) * 60_000;
    events.push({ kind: 'read', id: `${patientId}:r:${d}`, at: replyAt - 60_000, channel: t.channel });
    events.push({ kind: 'inbound', id: `${patientId}:i:${d}`, at: replyAt, channel: t.channel, language: t.language });
    events.push({ kind: 'adherence', id: `${patientId}:a:${d}`, at: replyAt + 1000, taken: rand() < takeProbability(t, d, weekday) });
  }
  let covered = 0;
  for (let d = days; d < days + 30; d++) if (rand() < takeProbability(t, d, new Date(start + d * DAY).getUTCDay())) covered++;
  return { patientId, traits: t, events, nonAdherentNext30: covered / 30 < 0.8 };
}
