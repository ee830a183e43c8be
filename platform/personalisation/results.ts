/*
 * Per-organisation variant results: for each message and segment, each variant's sends, reward rate
 * and 95 % credible interval (Beta(1, 1) prior), and the chance it is the best.
 */
import { credibleInterval, posterior, probabilityBest, type ArmStats } from './beta.js';

export interface VariantResult {
  message: string;
  segment: string;
  variant: number;
  sends: number;
  rewards: number;
  rate: number;
  low: number;
  high: number;
  probabilityBest: number;
}

export function variantResults(message: string, segment: string, arms: readonly ArmStats[]): VariantResult[] {
  const posts = arms.map((a) => posterior(a));
  const best = probabilityBest(posts);
  return arms.map((a, variant) => {
    const [low, high] = credibleInterval(posts[variant]!);
    return { message, segment, variant, sends: a.sends, rewards: a.rewards, rate: a.sends === 0 ? 0 : a.rewards / a.sends, low, high, probabilityBest: best[variant] ?? 0 };
  });
}
