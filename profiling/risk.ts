/*
 * Adherence risk: logistic regression on the profile's feature vector (probability that PDC over the
 * next 30 days falls below 0.8), trained by full-batch gradient descent with L2, and its evaluation
 * (AUC, Brier score, calibration by decile). Pure; the trained weights are data (risk-model.json).
 */
import type { RiskLevel } from '../platform/profiles/features.js';
import { VECTOR_NAMES } from './vector.js';

export interface RiskModel {
  /** What the model was trained on, in words (synthetic data is said so). */
  trainedOn: string;
  features: readonly string[];
  weights: number[];
  bias: number;
  /** Probability thresholds of the levels: below `medium` is low, at or above `high` is high. */
  thresholds: { medium: number; high: number };
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export function predict(m: RiskModel, x: readonly number[]): number {
  let z = m.bias;
  for (let i = 0; i < m.weights.length; i++) z += (m.weights[i] ?? 0) * (x[i] ?? 0);
  return sigmoid(z);
}

export function riskLevel(m: RiskModel, p: number): RiskLevel {
  return p >= m.thresholds.high ? 'high' : p >= m.thresholds.medium ? 'medium' : 'low';
}

/** Gradient descent on the mean log loss plus l2·|w|²/2; deterministic (no sampling). */
export function train(xs: readonly number[][], ys: readonly boolean[], opts: { epochs?: number; rate?: number; l2?: number; trainedOn: string }): RiskModel {
  const d = VECTOR_NAMES.length;
  const w = new Array<number>(d).fill(0);
  let b = 0;
  const { epochs = 1500, rate = 1, l2 = 1e-4 } = opts;
  for (let e = 0; e < epochs; e++) {
    const gw = new Array<number>(d).fill(0);
    let gb = 0;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i] as number[];
      let z = b;
      for (let j = 0; j < d; j++) z += (w[j] ?? 0) * (x[j] ?? 0);
      const err = sigmoid(z) - (ys[i] === true ? 1 : 0);
      for (let j = 0; j < d; j++) gw[j] = (gw[j] ?? 0) + err * (x[j] ?? 0);
      gb += err;
    }
    for (let j = 0; j < d; j++) w[j] = (w[j] ?? 0) - rate * ((gw[j] ?? 0) / xs.length + l2 * (w[j] ?? 0));
    b -= rate * (gb / xs.length);
  }
  return { trainedOn: opts.trainedOn, features: VECTOR_NAMES, weights: w.map((v) => Number(v.toFixed(5))), bias: Number(b.toFixed(5)), thresholds: { medium: 0.3, high: 0.7 } };
}

/** Area under the ROC curve by the rank-sum (Mann-Whitney) formula, ties counted half. */
export function auc(scores: readonly number[], ys: readonly boolean[]): number {
  const idx = scores.map((s, i) => ({ s, y: ys[i] === true })).sort((a, b) => a.s - b.s);
  let rankSum = 0;
  let pos = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j < idx.length && idx[j]?.s === idx[i]?.s) j++;
    const rank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (idx[k]?.y === true) { rankSum += rank; pos++; }
    i = j;
  }
  const neg = idx.length - pos;
  return pos === 0 || neg === 0 ? Number.NaN : (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

export interface Calibration {
  brier: number;
  /** Expected calibration error: |mean predicted − observed| weighted by bin size. */
  ece: number;
  bins: Array<{ from: number; to: number; n: number; predicted: number; observed: number }>;
}

/** Calibration over `bins` equal-width probability bins. */
export function calibration(scores: readonly number[], ys: readonly boolean[], bins = 10): Calibration {
  const acc = Array.from({ length: bins }, (_, i) => ({ from: i / bins, to: (i + 1) / bins, n: 0, predicted: 0, observed: 0 }));
  let brier = 0;
  scores.forEach((s, i) => {
    const y = ys[i] === true ? 1 : 0;
    brier += (s - y) ** 2;
    const b = acc[Math.min(bins - 1, Math.floor(s * bins))] as (typeof acc)[number];
    b.n++;
    b.predicted += s;
    b.observed += y;
  });
  const out = acc.filter((b) => b.n > 0).map((b) => ({ ...b, predicted: b.predicted / b.n, observed: b.observed / b.n }));
  const ece = out.reduce((e, b) => e + (b.n / scores.length) * Math.abs(b.predicted - b.observed), 0);
  return { brier: brier / scores.length, ece, bins: out };
}
