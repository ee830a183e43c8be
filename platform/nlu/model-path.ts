import { join } from 'node:path';
import { repoRoot } from '../paths.js';

/** Where the build writes the trained intent model; services only load it, never train. */
export function modelPath(): string {
  return join(repoRoot(), 'dist/models/intent-model.json');
}
