import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '../paths.js';
import { emergencyDetector, parseEmergencyModel, type EmergencyDetector } from './emergency.js';

/** Where the build writes the emergency model, beside the intent model (platform/safety/train.ts). */
export function emergencyModelPath(): string {
  return join(repoRoot(), 'dist/models/emergency-model.json');
}

/** Reads the emergency model written at build time: the one file the safety library reads. */
export async function loadEmergencyDetector(path: string = emergencyModelPath()): Promise<EmergencyDetector> {
  return emergencyDetector(parseEmergencyModel(await readFile(path, 'utf8')));
}
