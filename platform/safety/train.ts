/* eslint-disable no-console -- a build-time CLI: what it wrote goes to the person running the build. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTrainingExamples } from './dataset.js';
import { trainEmergencyModel } from './emergency.js';
import { emergencyModelPath } from './model-file.js';

/** `node dist/platform/safety/train.js [out.json]`: trains on the training sets (dataset.ts TRAINING_FILES) and writes the model. */
export async function main(argv: readonly string[]): Promise<number> {
  const out = argv[0] ?? emergencyModelPath();
  const started = performance.now();
  const model = trainEmergencyModel(await loadTrainingExamples());
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify(model));
  console.log(`emergency: model written to ${out} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
