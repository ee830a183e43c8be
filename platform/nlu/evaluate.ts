/* eslint-disable no-console -- also a CLI that prints the evaluation table for a person. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '../paths.js';
import { loadLabelledSet, type Example, type LabelledSet } from './corpus.js';
import { INTENTS, type IntentName } from './intents.js';
import { LANGUAGES, type Language } from './language.js';
import { IntentModel } from './nlu.js';

export interface IntentScores { precision: number; recall: number; f1: number; support: number }
export interface LanguageReport {
  accuracy: number;
  macroF1: number;
  /** Share of messages whose language was detected right when no locale was given. */
  languageDetection: number;
  perIntent: Partial<Record<IntentName, IntentScores>>;
}
export interface EvaluationReport { perLanguage: Record<Language, LanguageReport> }

const ALL: readonly IntentName[] = [...INTENTS, 'fallback'];
// Any fixed instant: entities do not affect the intent, but understand() needs a clock.
const NOW = new Date('2025-01-15T12:00:00Z');

export function scoreOf(gold: readonly IntentName[], predicted: readonly IntentName[]): Omit<LanguageReport, 'languageDetection'> {
  const perIntent: Partial<Record<IntentName, IntentScores>> = {};
  const present = ALL.filter((i) => gold.includes(i));
  for (const intent of present) {
    let tp = 0; let fp = 0; let fn = 0;
    gold.forEach((g, k) => {
      const p = predicted[k];
      if (p === intent && g === intent) tp += 1;
      else if (p === intent) fp += 1;
      else if (g === intent) fn += 1;
    });
    const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
    const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    perIntent[intent] = { precision, recall, f1, support: tp + fn };
  }
  const correct = gold.filter((g, k) => predicted[k] === g).length;
  const f1s = present.map((i) => perIntent[i]?.f1 ?? 0);
  return {
    accuracy: gold.length === 0 ? 0 : correct / gold.length,
    macroF1: f1s.length === 0 ? 0 : f1s.reduce((a, b) => a + b, 0) / f1s.length,
    perIntent,
  };
}

async function evaluateLanguage(model: IntentModel, language: Language, examples: readonly Example[]): Promise<LanguageReport> {
  const predicted: IntentName[] = [];
  let detected = 0;
  for (const ex of examples) {
    const u = await model.understand(ex.text, { locale: language, medications: [], now: NOW });
    predicted.push(u.intent);
    if ((await model.detectLanguage(ex.text)) === language) detected += 1;
  }
  const scores = scoreOf(examples.map((e) => e.intent), predicted);
  return { ...scores, languageDetection: examples.length === 0 ? 0 : detected / examples.length };
}

/** Whole-NLU quality (rules + classifier + fallback threshold) on a labelled split, per language. */
export async function evaluate(model: IntentModel, testSplit: LabelledSet): Promise<EvaluationReport> {
  return {
    perLanguage: {
      en: await evaluateLanguage(model, 'en', testSplit.en),
      es: await evaluateLanguage(model, 'es', testSplit.es),
    },
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`.padStart(7);

/** A fixed-width table: one row per intent with F1 per language, then accuracy and macro-F1. */
export function formatReport(report: EvaluationReport): string {
  const { en, es } = report.perLanguage;
  const rows = [`${'intent'.padEnd(24)}${'en F1'.padStart(7)}${'es F1'.padStart(7)}`];
  for (const intent of ALL) {
    const a = en.perIntent[intent]; const b = es.perIntent[intent];
    if (a === undefined && b === undefined) continue;
    rows.push(`${intent.padEnd(24)}${a === undefined ? '      -' : pct(a.f1)}${b === undefined ? '      -' : pct(b.f1)}`);
  }
  rows.push(`${'accuracy'.padEnd(24)}${pct(en.accuracy)}${pct(es.accuracy)}`);
  rows.push(`${'macro-F1'.padEnd(24)}${pct(en.macroF1)}${pct(es.macroF1)}`);
  rows.push(`${'language detection'.padEnd(24)}${pct(en.languageDetection)}${pct(es.languageDetection)}`);
  return rows.join('\n');
}

/** Macro-F1 per language for a range of fallback thresholds, from raw classifier scores. */
export async function sweepThresholds(model: IntentModel, split: LabelledSet, thresholds: readonly number[]): Promise<string> {
  const raw = { en: [] as Array<{ intent: IntentName; score: number }>, es: [] as Array<{ intent: IntentName; score: number }> };
  for (const lang of LANGUAGES) for (const ex of split[lang]) raw[lang].push(await model.classify(lang, ex.text));
  const rows = [`${'threshold'.padEnd(10)}${'en'.padStart(7)}${'es'.padStart(7)}`];
  for (const t of thresholds) {
    const f1 = (lang: Language): number =>
      scoreOf(split[lang].map((e) => e.intent), raw[lang].map((r) => (r.score < t ? 'fallback' : r.intent))).macroF1;
    rows.push(`${t.toFixed(2).padEnd(10)}${pct(f1('en'))}${pct(f1('es'))}`);
  }
  return rows.join('\n');
}

export function heldoutDir(): string {
  return resolve(repoRoot(), 'platform', 'nlu', 'heldout');
}

/** `node dist/platform/nlu/evaluate.js <model.json> [--sweep] [--errors]` */
async function main(argv: readonly string[]): Promise<number> {
  const modelPath = argv.find((a) => !a.startsWith('--'));
  if (modelPath === undefined) {
    console.error('usage: node dist/platform/nlu/evaluate.js <model.json> [--sweep] [--errors]');
    return 2;
  }
  const model = await IntentModel.load(modelPath);
  const split = await loadLabelledSet(heldoutDir());
  console.log(formatReport(await evaluate(model, split)));
  if (argv.includes('--sweep')) console.log(`\n${await sweepThresholds(model, split, [0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9])}`);
  if (argv.includes('--errors')) {
    for (const lang of LANGUAGES) {
      for (const ex of split[lang]) {
        const u = await model.understand(ex.text, { locale: lang, medications: [], now: NOW });
        if (u.intent !== ex.intent) console.log(`${lang} ${ex.intent} → ${u.intent} (${u.confidence.toFixed(2)}): ${ex.text}`);
      }
    }
  }
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
