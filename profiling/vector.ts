/*
 * The numeric view of a profile that segments and the risk model learn from: one fixed-order vector
 * of rates and trends, with a neutral value where a feature is unknown. Pure.
 */
import type { ProfileFeatures } from '../platform/profiles/features.js';
import { summarize } from '../platform/profiles/summary.js';

export const VECTOR_NAMES = [
  'hourSin', 'hourCos', 'responseRate', 'latency', 'pdc7', 'pdc30', 'pdc90', 'streak', 'engagementTrend', 'weekdayConcentration', 'smsShare', 'activity',
] as const;
export type VectorName = (typeof VECTOR_NAMES)[number];

function sum(a: readonly number[]): number {
  return a.reduce((s, v) => s + v, 0);
}

/** Activity-weighted mean hour on the clock circle, so 23:00 and 01:00 sit together. */
function hourCircle(p: ProfileFeatures): [number, number] {
  let x = 0;
  let y = 0;
  for (const c of [p.channels.WEB, p.channels.SMS]) {
    for (let h = 0; h < 24; h++) {
      const w = (c.active[h] ?? 0) + (c.answered[h] ?? 0);
      x += w * Math.sin((2 * Math.PI * h) / 24);
      y += w * Math.cos((2 * Math.PI * h) / 24);
    }
  }
  const n = Math.hypot(x, y);
  return n === 0 ? [0, 0] : [x / n, y / n];
}

export function featureVector(p: ProfileFeatures): number[] {
  const s = summarize(p);
  const [hs, hc] = hourCircle(p);
  const missed = sum(s.missedByWeekday);
  const sms = sum(p.channels.SMS.active);
  const all = sms + sum(p.channels.WEB.active);
  return [
    hs, hc,
    s.responseRate ?? 0.5,
    Math.min(1, (s.meanLatencyMinutes ?? 120) / 240),
    s.pdc7 ?? 0.8, s.pdc30 ?? 0.8, s.pdc90 ?? 0.8,
    Math.min(1, s.currentStreak / 30),
    Math.max(-1, Math.min(1, s.engagementTrend / 4)),
    missed === 0 ? 0 : Math.max(...s.missedByWeekday) / missed,
    all === 0 ? 0.5 : sms / all,
    Math.min(1, Math.log1p(all) / Math.log1p(200)),
  ];
}
