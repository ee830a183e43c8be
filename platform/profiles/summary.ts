/*
 * The derived view of a profile that readers use (PDC, streaks, preferred channel…), computed from
 * the stored features so the stored form holds only counts and bitmaps. Pure.
 */
import { DOSE_DAYS, PROFILE_CHANNELS, type DoseHistory, type ProfileChannel, type ProfileFeatures, type ProfileLanguage, type ProfileSummary } from './features.js';

export function bit(bits: Uint8Array, i: number): boolean {
  return ((bits[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
}

/** Day i (0 = lastDay) was covered: a dose taken and none reported missed. */
export function covered(d: DoseHistory, i: number): boolean {
  return bit(d.takenDays, i) && !bit(d.missedDays, i);
}

/** Covered days / due days over the last `days` days; null when nothing was due. */
export function pdc(d: DoseHistory, days: number): number | null {
  if (d.lastDay === 0) return null;
  let due = 0;
  let cov = 0;
  for (let i = 0; i < Math.min(days, DOSE_DAYS); i++) {
    if (!bit(d.dueDays, i)) continue;
    due++;
    if (covered(d, i)) cov++;
  }
  return due === 0 ? null : cov / due;
}

/** Runs of covered days among due days (days with nothing due neither break nor extend a run). */
export function streaks(d: DoseHistory): { current: number; longest: number } {
  let longest = 0;
  let run = 0;
  let current = -1;
  // A last day that is due but not yet answered is still open: it does not break the current run.
  const start = bit(d.dueDays, 0) && !bit(d.takenDays, 0) && !bit(d.missedDays, 0) ? 1 : 0;
  for (let i = start; i < DOSE_DAYS; i++) {
    if (!bit(d.dueDays, i)) continue;
    if (covered(d, i)) {
      run++;
    } else {
      if (current < 0) current = run;
      run = 0;
    }
    longest = Math.max(longest, run);
  }
  return { current: current < 0 ? run : current, longest };
}

function sum(a: readonly number[]): number {
  return a.reduce((s, v) => s + v, 0);
}

function preferredChannel(p: ProfileFeatures): ProfileChannel | 'unknown' {
  let best: ProfileChannel | 'unknown' = 'unknown';
  let bestCount = 0;
  for (const c of PROFILE_CHANNELS) {
    const n = sum(p.channels[c].active) + sum(p.channels[c].answered);
    if (n > bestCount) [best, bestCount] = [c, n];
  }
  return best;
}

function preferredLanguage(p: ProfileFeatures): ProfileLanguage {
  if (p.languages.en === 0 && p.languages.es === 0) return 'unknown';
  return p.languages.es > p.languages.en ? 'es' : 'en';
}

/** Messages/week in the last 4 weeks minus the 4 before, over 4: positive when engagement grows. */
export function engagementTrend(weekly: readonly number[]): number {
  const recent = sum(weekly.slice(0, 4));
  const before = sum(weekly.slice(4, 8));
  return (recent - before) / 4;
}

function hourly(p: ProfileFeatures, k: 'active' | 'prompts' | 'answered' | 'latencyMinutes'): number[] {
  return Array.from({ length: 24 }, (_, h) => PROFILE_CHANNELS.reduce((s, c) => s + (p.channels[c][k][h] ?? 0), 0));
}

/** The summary of a profile; `segmentName` comes from the organisation's segment table. */
export function summarize(p: ProfileFeatures, segmentName = ''): ProfileSummary {
  const active = hourly(p, 'active');
  const prompts = hourly(p, 'prompts');
  const answered = hourly(p, 'answered');
  const latency = sum(hourly(p, 'latencyMinutes'));
  const totalActive = sum(active);
  const totalPrompts = sum(prompts);
  const totalAnswered = sum(answered);
  const s = streaks(p.dose);
  return {
    segment: segmentName,
    risk: p.scores.riskLevel,
    riskScore: p.scores.risk,
    preferredLanguage: preferredLanguage(p),
    preferredChannel: preferredChannel(p),
    pdc7: pdc(p.dose, 7),
    pdc30: pdc(p.dose, 30),
    pdc90: pdc(p.dose, 90),
    currentStreak: s.current,
    longestStreak: s.longest,
    missedByWeekday: [...p.dose.missedByWeekday],
    responseRate: totalPrompts === 0 ? null : totalAnswered / totalPrompts,
    responseByHour: prompts.map((n, h) => (n === 0 ? null : (answered[h] ?? 0) / n)),
    meanLatencyMinutes: totalAnswered === 0 ? null : latency / totalAnswered,
    peakHour: totalActive === 0 ? null : active.indexOf(Math.max(...active)),
    engagementTrend: engagementTrend(p.weeklyMessages),
    ageBand: p.demographics.ageBand,
    sex: p.demographics.sex,
  };
}
