#!/usr/bin/env node
// Trains the intent model and the emergency model at build time, each when its data or code is newer than it.
// Usage: node scripts/train-intent-model.mjs [--force]
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.argv.includes('--help')) {
  console.log('Usage: node scripts/train-intent-model.mjs [--force]\nTrains dist/models/intent-model.json (platform/nlu/corpus) and dist/models/emergency-model.json (platform/safety/eval) when stale.');
  process.exit(0);
}
const models = [
  { out: join(root, 'dist/models/intent-model.json'), trainer: 'dist/platform/nlu/train.js', inputs: [join(root, 'platform/nlu/corpus'), join(root, 'dist/platform/nlu')] },
  // The held-out file is in this folder too but the trainer never reads it; its edits only retrigger training.
  { out: join(root, 'dist/models/emergency-model.json'), trainer: 'dist/platform/safety/train.js', inputs: [join(root, 'platform/safety/eval'), join(root, 'dist/platform/safety')] },
];

function newest(path) {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((f) => newest(join(path, f))));
}

for (const { out, trainer, inputs } of models) {
  const stale = process.argv.includes('--force') || !existsSync(out) || inputs.some((p) => newest(p) > statSync(out).mtimeMs);
  if (stale) execFileSync(process.execPath, [join(root, trainer), out], { stdio: 'inherit' });
}
