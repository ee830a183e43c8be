/*
 * One simulated run: a population (traits.ts) under one policy for N days, one dose reminder a
 * patient a day, sent through the time-zone code and answered per the hidden traits. The segment's
 * hourly rates and the variant bandit learn from the day's outcomes at the end of each day.
 */
import { seededRandom } from '../../platform/random/seeded.js';
import type { ArmStats } from '../../platform/personalisation/beta.js';
import { emptyHourly, poolHourly, sendInstant } from '../../platform/personalisation/send-time.js';
import { variantProbabilities } from '../../platform/personalisation/variants.js';
import { localParts } from '../../platform/time/zones.js';
import { noArms, VARIANT_COUNT, type Policy } from './policies.js';
import { AGE_BANDS, answerProbability, doseProbability, hourDistance, type SimPatient } from './traits.js';

/** Monday 4 January 2027: the simulated calendar's first day. */
const START = Date.UTC(2027, 0, 4);
const DAY = 86_400_000;

export interface CohortCurve { sends: number[]; answers: number[] }

export interface RunResult {
  policy: string;
  sends: number;
  answers: number;
  doses: number;
  patientDays: number;
  /** Sends within one hour of the patient's (hidden) peak: how well the send time was learnt. */
  nearPeak: number;
  /** By week since joining: cohort 'day0' and cohort 'day60'. */
  weekly: Record<'day0' | 'day60', CohortCurve>;
  /** Sum of logged propensities of the variants sent (their mean checks the floor held). */
  minPropensity: number;
}

/** A per-run generator stream derived from the seed and a label (so streams never overlap). */
export function stream(seed: number, label: string): () => number {
  let h = seed >>> 0;
  for (let i = 0; i < label.length; i += 1) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return seededRandom(h);
}

interface PatientRun { hourly: ArmStats[]; lastVariant: number; repeat: number }

export function simulate(population: readonly SimPatient[], policy: Policy, seed: number, days: number): RunResult {
  const env = stream(seed, `env:${policy.name}`);
  const choose = stream(seed, `policy:${policy.name}`);
  const runs: PatientRun[] = population.map(() => ({ hourly: emptyHourly(), lastVariant: -1, repeat: 0 }));
  const segments = AGE_BANDS.map(() => ({ hourly: emptyHourly(), arms: noArms() }));
  const weeks = Math.ceil(days / 7);
  const curve = (): CohortCurve => ({ sends: new Array<number>(weeks).fill(0), answers: new Array<number>(weeks).fill(0) });
  const r: RunResult = { policy: policy.name, sends: 0, answers: 0, doses: 0, patientDays: 0, nearPeak: 0, weekly: { day0: curve(), day60: curve() }, minPropensity: 1 };
  const uniform = new Array<number>(VARIANT_COUNT).fill(1 / VARIANT_COUNT);
  for (let day = 0; day < days; day += 1) {
    const probs = segments.map((s) => (policy.learnsVariants ? variantProbabilities(s.arms) : uniform));
    const date = new Date(START + day * DAY);
    const local = { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
    const todays = AGE_BANDS.map(() => ({ hourly: emptyHourly(), arms: noArms() }));
    population.forEach((p, i) => {
      const o = p.observable;
      if (day < o.joinDay) return;
      const seg = AGE_BANDS.indexOf(o.ageBand);
      const run = runs[i]!;
      const d = policy.decide({ patient: o, hourly: run.hourly, segmentHourly: segments[seg]!.hourly, variantProbabilities: probs[seg]!, lastVariant: run.lastVariant < 0 ? null : run.lastVariant, rand: choose });
      const parts = localParts(sendInstant(local, d.hour, o.timeZone), o.timeZone);
      const weekend = parts.weekday === 0 || parts.weekday === 6;
      run.repeat = d.variant === run.lastVariant ? run.repeat + 1 : 1;
      run.lastVariant = d.variant;
      const answered = env() < answerProbability(p.hidden, parts.hour, d.variant, run.repeat, weekend);
      const dose = env() < doseProbability(p.hidden, answered);
      const slot = run.hourly[parts.hour]!;
      slot.sends += 1;
      slot.rewards += answered ? 1 : 0;
      const t = todays[seg]!;
      t.hourly[parts.hour]!.sends += 1;
      t.hourly[parts.hour]!.rewards += answered ? 1 : 0;
      t.arms[d.variant]!.sends += 1;
      t.arms[d.variant]!.rewards += answered ? 1 : 0;
      r.sends += 1;
      r.answers += answered ? 1 : 0;
      r.doses += dose ? 1 : 0;
      r.patientDays += 1;
      r.minPropensity = Math.min(r.minPropensity, d.propensity);
      if (hourDistance(parts.hour, p.hidden.peakHour + (weekend ? p.hidden.weekendShift : 0)) <= 1) r.nearPeak += 1;
      const cohort = o.joinDay === 0 ? r.weekly.day0 : r.weekly.day60;
      const week = Math.floor((day - o.joinDay) / 7);
      cohort.sends[week] = (cohort.sends[week] ?? 0) + 1;
      cohort.answers[week] = (cohort.answers[week] ?? 0) + (answered ? 1 : 0);
    });
    // The daily recomputation: the segment pools its patients' day; the variant bandit learns it.
    todays.forEach((t, s) => {
      poolHourly(segments[s]!.hourly, t.hourly);
      t.arms.forEach((a, v) => { segments[s]!.arms[v]!.sends += a.sends; segments[s]!.arms[v]!.rewards += a.rewards; });
    });
  }
  return r;
}
