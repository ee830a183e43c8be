import { foldText } from './normalize.js';
import { seededRandom } from '../random/seeded.js';

/**
 * Multinomial logistic regression over words, word pairs and character 3–5-grams: the net under
 * the rules, for phrasings no pattern spells out. Training is deterministic (fixed order, fixed
 * seed), so the same examples give the same model byte for byte.
 */
export interface ClassifierModel {
  classes: string[];
  bias: number[];
  /** Feature → one weight per class (pruned near zero). */
  weights: Record<string, number[]>;
}

export function classifierFeatures(text: string): string[] {
  const words = foldText(text).replace(/[^\p{L}\p{N}]+/gu, ' ').trim().split(' ').filter((w) => w !== '');
  const out = new Set<string>();
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    out.add(`w:${w}`);
    if (i + 1 < words.length) out.add(`b:${w}_${words[i + 1] ?? ''}`);
    const padded = ` ${w} `;
    for (let n = 3; n <= 5; n++) for (let k = 0; k + n <= padded.length; k++) out.add(padded.slice(k, k + n));
  }
  return [...out];
}

export interface TrainOptions { epochs: number; learningRate: number; l2: number; seed: number }
export const DEFAULT_TRAINING: TrainOptions = { epochs: 15, learningRate: 0.2, l2: 1e-5, seed: 7 };


function softmax(z: Float64Array): Float64Array {
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/** Trains on labelled texts; classes are sorted so the model does not depend on example order. */
export function trainClassifier(examples: ReadonlyArray<{ text: string; label: string; weight?: number }>, opts: TrainOptions = DEFAULT_TRAINING): ClassifierModel {
  const sorted = [...examples].sort((a, b) => a.text.localeCompare(b.text) || a.label.localeCompare(b.label));
  const classes = [...new Set(sorted.map((e) => e.label))].sort();
  const k = classes.length;
  const rows = sorted.map((e) => ({ f: classifierFeatures(e.text), y: classes.indexOf(e.label), weight: e.weight ?? 1 }));
  const weights = new Map<string, Float64Array>();
  const bias = new Float64Array(k);
  const random = seededRandom(opts.seed);
  const order = rows.map((_, i) => i);
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
    }
    const rate = opts.learningRate / (1 + epoch * 0.1);
    for (const idx of order) {
      const row = rows[idx];
      if (row === undefined) continue;
      const z = Float64Array.from(bias);
      for (const f of row.f) { const w = weights.get(f); if (w !== undefined) for (let c = 0; c < k; c++) z[c] = (z[c] ?? 0) + (w[c] ?? 0); }
      const p = softmax(z);
      // Scaled by the feature count so long messages do not take bigger steps.
      const step = (rate * row.weight) / Math.sqrt(row.f.length);
      for (let c = 0; c < k; c++) {
        const g = (p[c] ?? 0) - (c === row.y ? 1 : 0);
        bias[c] = (bias[c] ?? 0) - rate * row.weight * g * 0.1;
        for (const f of row.f) {
          let w = weights.get(f);
          if (w === undefined) { w = new Float64Array(k); weights.set(f, w); }
          w[c] = (w[c] ?? 0) * (1 - opts.l2) - step * g;
        }
      }
    }
  }
  const out: Record<string, number[]> = {};
  for (const f of [...weights.keys()].sort()) {
    const w = weights.get(f) ?? new Float64Array(k);
    if (w.some((v) => Math.abs(v) >= 1e-3)) out[f] = Array.from(w, (v) => Math.round(v * 1e4) / 1e4);
  }
  return { classes, bias: Array.from(bias, (v) => Math.round(v * 1e4) / 1e4), weights: out };
}

/** Class probabilities for one text. */
export function classify(model: ClassifierModel, text: string): Map<string, number> {
  const k = model.classes.length;
  const z = Float64Array.from(model.bias);
  for (const f of classifierFeatures(text)) {
    const w = model.weights[f];
    if (w !== undefined) for (let c = 0; c < k; c++) z[c] = (z[c] ?? 0) + (w[c] ?? 0);
  }
  const p = softmax(z);
  return new Map(model.classes.map((c, i) => [c, p[i] ?? 0]));
}
