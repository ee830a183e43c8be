import { tokenize } from './text.js';

/**
 * A character n-gram naive Bayes classifier. NLP.js matches stems, so it misses typos ("hellow"),
 * inflections its stemmer does not join ("quítenme"/"quítame") and unseen names; sub-word n-grams
 * catch those, and averaging both classifiers is steadier than either alone.
 */
export interface NgramModel {
  classes: string[];
  /** Per class: feature → count. */
  counts: Array<Record<string, number>>;
  totals: number[];
  vocabularySize: number;
}

const ALPHA = 0.5;
// Softmax temperature per feature: naive Bayes log-likelihoods grow with text length and are
// over-confident; dividing by the feature count keeps scores comparable with NLP.js's.
const SHARPNESS = 3;

export function features(text: string): string[] {
  const out: string[] = [];
  for (const t of tokenize(text)) {
    const w = ` ${t.folded} `;
    out.push(`w:${t.folded}`);
    for (let n = 3; n <= 5; n += 1) for (let i = 0; i + n <= w.length; i += 1) out.push(w.slice(i, i + n));
  }
  return out;
}

export function trainNgram(examples: ReadonlyArray<{ text: string; label: string }>): NgramModel {
  const classes = [...new Set(examples.map((e) => e.label))].sort();
  const counts = classes.map((): Record<string, number> => ({}));
  const totals = classes.map(() => 0);
  const vocab = new Set<string>();
  for (const ex of examples) {
    const c = classes.indexOf(ex.label);
    const table = counts[c];
    if (table === undefined) continue;
    for (const f of features(ex.text)) {
      table[f] = (table[f] ?? 0) + 1;
      totals[c] = (totals[c] ?? 0) + 1;
      vocab.add(f);
    }
  }
  return { classes, counts, totals, vocabularySize: vocab.size };
}

/**
 * The model ready to score: each seen feature's log-likelihood per class, computed once at load
 * (scoring then adds numbers instead of taking a logarithm per class and feature of every message).
 */
export interface CompiledNgram {
  classes: string[];
  /** Feature → log P(feature | class) for every class. */
  logLikelihood: Map<string, Float64Array>;
}

export function compileNgram(model: NgramModel): CompiledNgram {
  const denoms = model.classes.map((_, c) => Math.log((model.totals[c] ?? 0) + ALPHA * model.vocabularySize));
  const logLikelihood = new Map<string, Float64Array>();
  for (const table of model.counts) {
    for (const f of Object.keys(table)) {
      if (logLikelihood.has(f)) continue;
      logLikelihood.set(f, Float64Array.from(model.classes, (_, c) => Math.log((model.counts[c]?.[f] ?? 0) + ALPHA) - (denoms[c] ?? 0)));
    }
  }
  return { classes: model.classes, logLikelihood };
}

/** Class probabilities, best first. Classes are equally likely a priori (the corpus is balanced). */
export function classifyNgram(model: CompiledNgram, text: string): Array<{ intent: string; score: number }> {
  const k = model.classes.length;
  const sums = new Float64Array(k);
  let seen = 0;
  for (const f of features(text)) {
    const ll = model.logLikelihood.get(f);
    if (ll === undefined) continue;
    seen++;
    for (let c = 0; c < k; c++) sums[c] = (sums[c] ?? 0) + (ll[c] ?? 0);
  }
  if (seen === 0) return [];
  const logs = Array.from(sums, (sum) => sum * (SHARPNESS / seen));
  const max = Math.max(...logs);
  const exps = logs.map((l) => Math.exp(l - max));
  const z = exps.reduce((a, b) => a + b, 0);
  return model.classes
    .map((intent, c) => ({ intent, score: (exps[c] ?? 0) / z }))
    .sort((a, b) => b.score - a.score || a.intent.localeCompare(b.intent));
}
