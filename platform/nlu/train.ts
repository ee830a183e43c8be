/* eslint-disable no-console -- a build-time CLI: progress and timing go to the person running the build. */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '../paths.js';
import { trainModel } from './nlu.js';

/** The training corpus in the source tree (JSON is not copied into dist/). */
export function corpusDir(): string {
  return join(repoRoot(), 'platform', 'nlu', 'corpus');
}

/** `node dist/platform/nlu/train.js <out.json>`: trains on the corpus and writes the model. */
export async function main(argv: readonly string[]): Promise<number> {
  const out = argv[0];
  if (out === undefined || argv.length > 1 || out.startsWith('-')) {
    console.error('usage: node dist/platform/nlu/train.js <model-out.json>');
    return 2;
  }
  const started = performance.now();
  console.log(`intent: training on ${corpusDir()} ...`);
  const model = await trainModel(corpusDir());
  const trainedMs = performance.now() - started;
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, model);
  const { size } = await stat(out);
  console.log(`intent: model written to ${out} (${(size / 1024).toFixed(0)} KiB) in ${(trainedMs / 1000).toFixed(1)} s`);
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
