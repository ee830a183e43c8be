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

/**
 * The same distribution with the wording this patient heard last time for this message held to its
 * exploration share only (people tire of repeated wording); the rest renormalised, so the
 * propensities stay exact. `last` null or out of range: unchanged.
 */
export function withoutRepeat(probabilities: readonly number[], last: number | null, o: VariantOptions = DEFAULT_VARIANTS): number[] {
  const k = probabilities.length;
  if (last === null || last < 0 || last >= k || k < 2) return [...probabilities];
  const held = Math.min(1, Math.max(0, o.explorationFloor)) / k;
  const rest = 1 - (probabilities[last] ?? 0);
  return probabilities.map((p, i) => (i === last ? held : rest > 0 ? (p * (1 - held)) / rest : (1 - held) / (k - 1)));
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
