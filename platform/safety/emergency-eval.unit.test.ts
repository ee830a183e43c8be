/* eslint-disable no-console -- the quality gate prints its figures so CI logs show them even when it passes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { evalDir, HELDOUT_FILE, loadExamples, loadTrainingExamples, TRAINING_FILES } from './dataset.js';
import { emergencyDetector, trainEmergencyModel, type EmergencyDetector, type EmergencyExample } from './emergency.js';

// The goal (issue 8): on the held-out half (never used for rules, thresholds or training) the
// detector finds 99 % of emergencies and raises at most 3 % false alarms, per language. It is NOT met
// yet (platform/safety/README.md). Until it is, the test prints how far off it is and holds the line
// at the figures measured on 2026-12-02, run 11 (en 146/150 found, 8/150 false alarms; es 125/131, 4/126),
// so that no change makes detection worse; raise the floor whenever the figures improve.
const GOAL = { recall: 0.99, falseAlarms: 0.03 };
const FLOOR: Record<'en' | 'es', { recall: number; falseAlarms: number }> = {
  en: { recall: 146 / 150, falseAlarms: 8 / 150 },
  es: { recall: 125 / 131, falseAlarms: 4 / 126 },
};

interface Figures { recall: number; falseAlarms: number; emergencies: number; safe: number; missed: EmergencyExample[]; alarms: EmergencyExample[] }

function measure(detector: EmergencyDetector, items: readonly EmergencyExample[]): Figures {
  const emergencies = items.filter((i) => i.label === 'emergency');
  const safe = items.filter((i) => i.label === 'safe');
  const missed = emergencies.filter((i) => detector.assess(i.text) === null);
  const alarms = safe.filter((i) => detector.assess(i.text) !== null);
  return {
    recall: emergencies.length === 0 ? 1 : 1 - missed.length / emergencies.length,
    falseAlarms: safe.length === 0 ? 0 : alarms.length / safe.length,
    emergencies: emergencies.length, safe: safe.length, missed, alarms,
  };
}

const line = (name: string, lang: string, f: Figures): string =>
  `${name} ${lang}: recall ${(f.recall * 100).toFixed(1)}% (${f.emergencies - f.missed.length}/${f.emergencies}), false alarms ${(f.falseAlarms * 100).toFixed(1)}% (${f.alarms.length}/${f.safe})`;

const detectorPromise = loadTrainingExamples().then((ex) => emergencyDetector(trainEmergencyModel(ex)));

test('training sets (tuning, B to I, dev): figures, with every miss and false alarm printed', async () => {
  const detector = await detectorPromise;
  for (const file of TRAINING_FILES) {
    const items = await loadExamples(join(evalDir(), file));
    for (const lang of ['en', 'es'] as const) {
      const f = measure(detector, items.filter((i) => i.lang === lang));
      console.log(line(file, lang, f));
      for (const m of f.missed) console.log(`  missed [${m.category ?? '?'}] ${m.text}`);
      for (const a of f.alarms) console.log(`  false alarm [${a.kind ?? '?'}] ${a.text}`);
    }
  }
});

test('held-out set: no regression below the measured floor, distance to the 99 % / 3 % goal printed (aggregates only)', async () => {
  const detector = await detectorPromise;
  const items = await loadExamples(join(evalDir(), HELDOUT_FILE));
  const started = performance.now();
  const failures: string[] = [];
  for (const lang of ['en', 'es'] as const) {
    const f = measure(detector, items.filter((i) => i.lang === lang));
    // Aggregates only: the held-out texts stay unseen by whoever reads the log.
    console.log(line('held-out', lang, f));
    const goalMet = f.recall >= GOAL.recall && f.falseAlarms <= GOAL.falseAlarms;
    console.log(`held-out ${lang}: goal (recall ≥ ${GOAL.recall * 100} %, false alarms ≤ ${GOAL.falseAlarms * 100} %) ${goalMet ? 'MET' : 'NOT MET'}`);
    if (f.recall < FLOOR[lang].recall) failures.push(`${lang} recall ${f.recall.toFixed(3)} fell below the floor ${FLOOR[lang].recall.toFixed(3)}`);
    if (f.falseAlarms > FLOOR[lang].falseAlarms) failures.push(`${lang} false alarms ${f.falseAlarms.toFixed(3)} rose above the floor ${FLOOR[lang].falseAlarms.toFixed(3)}`);
  }
  console.log(`held-out: ${((performance.now() - started) / items.length).toFixed(3)} ms per message`);
  assert.deepEqual(failures, []);
});
