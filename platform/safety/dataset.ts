import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CareloopError } from '../errors.js';
import { repoRoot } from '../paths.js';
import { isEmergencyCategory } from './categories.js';
import type { EmergencyExample } from './emergency.js';

/** Where the labelled sets live in the source tree (JSON is not copied into dist/). */
export function evalDir(): string {
  return join(repoRoot(), 'platform', 'safety', 'eval');
}

/** The files the classifier learns from. The held-out file is never among them. */
export const TRAINING_FILES = ['emergency-tuning.json', 'emergency-tuning-b.json', 'emergency-tuning-c.json', 'emergency-tuning-d.json', 'emergency-tuning-e.json', 'emergency-tuning-f.json', 'emergency-tuning-g.json', 'emergency-tuning-h.json', 'emergency-tuning-i.json', 'emergency-dev.json'] as const;
export const HELDOUT_FILE = 'emergency-heldout.json';

export async function loadExamples(path: string): Promise<EmergencyExample[]> {
  const raw = JSON.parse(await readFile(path, 'utf8')) as { version?: unknown; items?: unknown };
  if (raw.version !== 1 || !Array.isArray(raw.items)) throw new CareloopError('VALIDATION_FAILED', `${path}: expected {"version":1,"items":[...]}`);
  return raw.items.map((item: unknown, i): EmergencyExample => {
    const e = item as Partial<EmergencyExample>;
    const ok = typeof e.text === 'string' && (e.lang === 'en' || e.lang === 'es') && (e.label === 'emergency' || e.label === 'safe')
      && (e.category === undefined || isEmergencyCategory(e.category));
    if (!ok) throw new CareloopError('VALIDATION_FAILED', `${path}: item ${i} is not {text, lang, label, category?}`);
    return e as EmergencyExample;
  });
}

/**
 * Training examples: the tuning and dev sets, plus every line of the intent corpus whose intent is
 * not 'emergency' as a safe message (greetings, refills, mild symptoms and side effects: what
 * patients write most days). Corpus lines labelled 'emergency' carry no category and are left out.
 */
export async function loadTrainingExamples(dir = evalDir(), corpusDir = join(repoRoot(), 'platform', 'nlu', 'corpus')): Promise<EmergencyExample[]> {
  const sets = await Promise.all(TRAINING_FILES.map((f) => loadExamples(join(dir, f))));
  const everyday: EmergencyExample[] = [];
  for (const lang of ['en', 'es'] as const) {
    const corpus = JSON.parse(await readFile(join(corpusDir, `${lang}.json`), 'utf8')) as Record<string, string[]>;
    for (const [intent, lines] of Object.entries(corpus)) {
      if (intent === 'emergency') continue;
      for (const text of lines) everyday.push({ text, lang, label: 'safe', kind: 'corpus' });
    }
  }
  return [...sets.flat(), ...everyday];
}
