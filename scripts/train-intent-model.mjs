#!/usr/bin/env node
// Trains the intent model at build time when the corpus or the NLU code is newer than the model.
// Usage: node scripts/train-intent-model.mjs [--force]
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.argv.includes('--help')) {
  console.log('Usage: node scripts/train-intent-model.mjs [--force]\nTrains dist/models/intent-model.json from platform/nlu/corpus when it is stale.');
  process.exit(0);
}
const model = join(root, 'dist/models/intent-model.json');
const inputs = [join(root, 'platform/nlu/corpus'), join(root, 'dist/platform/nlu')];

function newest(path) {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((f) => newest(join(path, f))));
}

const stale = process.argv.includes('--force') || !existsSync(model) || inputs.some((p) => newest(p) > statSync(model).mtimeMs);
if (stale) execFileSync(process.execPath, [join(root, 'dist/platform/nlu/train.js'), model], { stdio: 'inherit' });
