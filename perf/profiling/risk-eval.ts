/*
 * Trains the adherence-risk model on a seeded synthetic population and measures it on a held-out
 * synthetic population (other seed): AUC, Brier score, calibration by decile. Writes the model to
 * profiling/risk-model.json (what the service scores with) and the figures to perf/results/risk.json.
 * Synthetic data only: the figures say how well the model recovers the simulator's hidden traits.
 *   node dist/perf/profiling/risk-eval.js [train=8000] [heldOut=4000]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../platform/paths.js';
import { emptyProfile } from '../../platform/profiles/features.js';
import { seededRandom } from '../../platform/random/seeded.js';
import { evolve } from '../../profiling/evolve.js';
import { auc, calibration, predict, train } from '../../profiling/risk.js';
import { syntheticPatient } from '../../profiling/synthetic.js';
import { featureVector } from '../../profiling/vector.js';
import { handleHelp } from '../usage.js';

handleHelp(`Usage: node dist/perf/profiling/risk-eval.js [train] [heldOut]

Trains the adherence-risk model on a seeded synthetic population (seed 101, 60 days of history,
label PDC < 0.8 over the next 30 days) and measures it on a held-out one (seed 202): AUC (and that
of 1 - PDC30 alone), Brier score, calibration by decile. Synthetic data only: the figures say how
well the model recovers the simulator's hidden traits.

  train     training patients (default 8000)
  heldOut   held-out patients (default 4000)

Needs nothing running. Prints the figures as JSON and writes them to perf/results/risk.json;
also OVERWRITES profiling/risk-model.json, the model the profiling service scores with.
Exit status 0; 1 on an error; 2 for a --flag (it takes none).`, { flags: [] });

const [nTrain = 8000, nHeld = 4000] = process.argv.slice(2).map(Number);
const START = Date.UTC(2026, 0, 5);

function population(seed: number, n: number): { xs: number[][]; ys: boolean[] } {
  const rand = seededRandom(seed);
  const xs: number[][] = [];
  const ys: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const s = syntheticPatient(rand, `s${seed}-${i}`, START, 60);
    xs.push(featureVector(s.events.reduce((p, e) => evolve(p, e, 'UTC'), emptyProfile())));
    ys.push(s.nonAdherentNext30);
  }
  return { xs, ys };
}

const t0 = Date.now();
const trainSet = population(101, nTrain);
const held = population(202, nHeld);
const model = train(trainSet.xs, trainSet.ys, { trainedOn: `synthetic population: ${nTrain} seeded patients (seed 101), 60 days of history, label PDC < 0.8 over the next 30 days` });
const scores = held.xs.map((x) => predict(model, x));
const cal = calibration(scores, held.ys);
const baseline = held.xs.map((x) => 1 - (x[5] ?? 0)); // 1 − PDC30 alone, the obvious rule
const result = {
  measuredAt: new Date().toISOString(),
  data: `synthetic, held out: ${nHeld} patients (seed 202), never seen in training`,
  positiveRate: held.ys.filter(Boolean).length / held.ys.length,
  auc: auc(scores, held.ys),
  aucOfOneMinusPdc30: auc(baseline, held.ys),
  trainAuc: auc(trainSet.xs.map((x) => predict(model, x)), trainSet.ys),
  brier: cal.brier,
  ece: cal.ece,
  calibration: cal.bins,
  levels: { high: scores.filter((s) => s >= model.thresholds.high).length, medium: scores.filter((s) => s >= model.thresholds.medium && s < model.thresholds.high).length },
  seconds: (Date.now() - t0) / 1000,
};
console.log(JSON.stringify(result, null, 2));
writeFileSync(join(repoRoot(), 'profiling/risk-model.json'), `${JSON.stringify(model, null, 2)}\n`);
mkdirSync(join(repoRoot(), 'perf/results'), { recursive: true });
writeFileSync(join(repoRoot(), 'perf/results/risk.json'), `${JSON.stringify(result, null, 2)}\n`);
