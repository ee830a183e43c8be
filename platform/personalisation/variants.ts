/*
 * Message variants: a workflow `say "…" | "…"` picks its wording by a bandit per (message, segment).
 * The pick is drawn from an explicit distribution (Thompson's probability of being best, mixed with
 * an exploration floor), so the logged propensity is the exact chance of what was sent: what
 * inverse-propensity and doubly robust estimators need offline.
 */
import { categorical, type Uniform } from '../random/distributions.js';
import { posterior, probabilityBest, type ArmStats } from './beta.js';

export interface VariantOptions {
  /** Share of picks spread evenly over all variants whatever the evidence (0…1). */
  explorationFloor: number;
}

export const DEFAULT_VARIANTS: VariantOptions = Object.freeze({ explorationFloor: 0.1 });

/** The probability of each variant being picked next. */
export function variantProbabilities(arms: readonly ArmStats[], o: VariantOptions = DEFAULT_VARIANTS): number[] {
  const k = arms.length;
  if (k === 0) return [];
  const best = probabilityBest(arms.map((a) => posterior(a)));
  const floor = Math.min(1, Math.max(0, o.explorationFloor));
  return best.map((p) => floor / k + (1 - floor) * p);
}

export interface VariantPick { index: number; propensity: number }

/** Draws a variant from `probabilities` (see variantProbabilities); its propensity is logged with it. */
export function pickFrom(probabilities: readonly number[], rand: Uniform): VariantPick {
  const index = categorical(rand, probabilities);
  return { index, propensity: probabilities[index] ?? 0 };
}

export function pickVariant(arms: readonly ArmStats[], rand: Uniform, o: VariantOptions = DEFAULT_VARIANTS): VariantPick {
  return pickFrom(variantProbabilities(arms, o), rand);
}
