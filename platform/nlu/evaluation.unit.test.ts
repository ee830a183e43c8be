/* eslint-disable no-console -- the quality gate prints its figures so CI logs show them even when it passes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadLabelledSet } from './corpus.js';
import { evaluate, formatReport, heldoutDir } from './evaluate.js';
import { IntentModel, trainModel } from './nlu.js';
import { corpusDir } from './train.js';

// Quality gate: trains from the corpus (under a second) and scores the held-out split, which is
// written independently of the training lines. Fails honestly when the model gets worse.
const MIN_MACRO_F1 = 0.9;

test('held-out macro-F1 is at least 0.90 in English and in Spanish', async () => {
  const model = IntentModel.fromJSON(await trainModel(corpusDir()));
  const report = await evaluate(model, await loadLabelledSet(heldoutDir()));
  console.log(formatReport(report));
  for (const lang of ['en', 'es'] as const) {
    const { accuracy, macroF1 } = report.perLanguage[lang];
    console.log(`${lang}: accuracy ${(accuracy * 100).toFixed(1)}%, macro-F1 ${(macroF1 * 100).toFixed(1)}%`);
    assert.ok(macroF1 >= MIN_MACRO_F1, `${lang} macro-F1 ${macroF1.toFixed(3)} is below ${MIN_MACRO_F1}`);
  }
});

test('training is deterministic: two runs give the same model', async () => {
  assert.equal(await trainModel(corpusDir()), await trainModel(corpusDir()));
});
