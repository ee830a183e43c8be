/*
 * The three policies of TRAITS.md. They see only a patient's observable traits and the rewards of
 * past sends; the personalised one is the product's decision code from platform/personalisation.
 */
import type { Uniform } from '../../platform/random/distributions.js';
import type { ArmStats } from '../../platform/personalisation/beta.js';
import { chooseSendHour, DEFAULT_SEND_TIME, type HourlyStats, type SendWindow } from '../../platform/personalisation/send-time.js';
import { pickFrom, withoutRepeat } from '../../platform/personalisation/variants.js';
import { DOSE_WINDOW, QUIET_HOURS, type Observable } from './traits.js';

export const VARIANT_COUNT = 3;
export const WINDOW: SendWindow = { firstHour: DOSE_WINDOW.firstHour, lastHour: DOSE_WINDOW.lastHour, quiet: QUIET_HOURS };

export interface PolicyInput {
  patient: Observable;
  /** The patient's own sends and answers by local hour. */
  hourly: HourlyStats;
  /** The segment's pooled sends and answers by local hour, as of the last daily recomputation. */
  segmentHourly: HourlyStats;
  /** The variant bandit's probabilities for (this message, the patient's segment) today. */
  variantProbabilities: readonly number[];
  /** The variant this policy sent the patient last time (its own record), null before the first send. */
  lastVariant: number | null;
  rand: Uniform;
}

export interface PolicyDecision { hour: number; variant: number; propensity: number }

export interface Policy {
  name: string;
  /** Whether the variant bandit learns (only then are its probabilities recomputed). */
  learnsVariants: boolean;
  decide(input: PolicyInput): PolicyDecision;
}

const randomVariant = (rand: Uniform): { variant: number; propensity: number } => ({ variant: Math.floor(rand() * VARIANT_COUNT), propensity: 1 / VARIANT_COUNT });

export const FIXED_09: Policy = {
  name: 'fixed-09', learnsVariants: false,
  decide: ({ rand }) => ({ hour: 9, ...randomVariant(rand) }),
};

export const FIXED_STATED: Policy = {
  name: 'fixed-stated', learnsVariants: false,
  decide: ({ patient, rand }) => ({ hour: patient.statedHour, ...randomVariant(rand) }),
};

export const PERSONALISED: Policy = {
  name: 'personalised', learnsVariants: true,
  decide: ({ hourly, segmentHourly, variantProbabilities, rand }) => {
    const hour = chooseSendHour(hourly, segmentHourly, WINDOW, rand)?.hour ?? 9;
    const pick = pickFrom(variantProbabilities, rand);
    return { hour, variant: pick.index, propensity: pick.propensity };
  },
};

// Added after the first comparison (results.md says so): which part helps, and the stated hour as the prior's anchor.
export const TIME_ONLY: Policy = {
  name: 'time-only', learnsVariants: false,
  decide: ({ hourly, segmentHourly, rand }) => ({ hour: chooseSendHour(hourly, segmentHourly, WINDOW, rand)?.hour ?? 9, ...randomVariant(rand) }),
};

export const VARIANTS_ONLY: Policy = {
  name: 'variants-only', learnsVariants: true,
  decide: ({ variantProbabilities, rand }) => { const pick = pickFrom(variantProbabilities, rand); return { hour: 9, variant: pick.index, propensity: pick.propensity }; },
};

export const ANCHORED: Policy = {
  name: 'personalised-anchored', learnsVariants: true,
  decide: ({ patient, hourly, segmentHourly, variantProbabilities, rand }) => {
    const hour = chooseSendHour(hourly, segmentHourly, WINDOW, rand, DEFAULT_SEND_TIME, patient.statedHour)?.hour ?? patient.statedHour;
    const pick = pickFrom(variantProbabilities, rand);
    return { hour, variant: pick.index, propensity: pick.propensity };
  },
};

// Added after the six-policy run: the variant bandit that never repeats a patient's last wording but by exploration.
export const PERSONALISED_FRESH: Policy = {
  name: 'personalised-fresh', learnsVariants: true,
  decide: ({ hourly, segmentHourly, variantProbabilities, lastVariant, rand }) => {
    const hour = chooseSendHour(hourly, segmentHourly, WINDOW, rand)?.hour ?? 9;
    const pick = pickFrom(withoutRepeat(variantProbabilities, lastVariant), rand);
    return { hour, variant: pick.index, propensity: pick.propensity };
  },
};

export const POLICIES: readonly Policy[] = [FIXED_09, FIXED_STATED, PERSONALISED, TIME_ONLY, VARIANTS_ONLY, ANCHORED, PERSONALISED_FRESH];

export const noArms = (): ArmStats[] => Array.from({ length: VARIANT_COUNT }, () => ({ sends: 0, rewards: 0 }));
