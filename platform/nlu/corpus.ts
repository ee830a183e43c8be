import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CareloopError } from '../errors.js';
import { isIntentName, NONE, type IntentName } from './intents.js';
import { LANGUAGES, type Language } from './language.js';

export interface Example { text: string; intent: IntentName }
export type LabelledSet = Record<Language, Example[]>;

/**
 * Reads `<dir>/en.json` and `<dir>/es.json`, each `{ "<intent>": ["utterance", ...] }` with "None"
 * for out-of-scope messages. Used for both the training corpus and the held-out split.
 */
export async function loadLabelledSet(dir: string): Promise<LabelledSet> {
  const set: LabelledSet = { en: [], es: [] };
  for (const lang of LANGUAGES) {
    const file = join(dir, `${lang}.json`);
    const raw: unknown = JSON.parse(await readFile(file, 'utf8'));
    set[lang] = parseFile(raw, file);
  }
  return set;
}

function parseFile(raw: unknown, file: string): Example[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CareloopError('VALIDATION_FAILED', `${file}: expected an object of intent → utterances`);
  }
  const out: Example[] = [];
  for (const [key, lines] of Object.entries(raw)) {
    const intent = key === NONE ? 'fallback' : key;
    if (!isIntentName(intent)) throw new CareloopError('VALIDATION_FAILED', `${file}: unknown intent "${key}"`);
    if (!Array.isArray(lines) || !lines.every((l): l is string => typeof l === 'string' && l.trim() !== '')) {
      throw new CareloopError('VALIDATION_FAILED', `${file}: intent "${key}" must be a list of non-empty strings`);
    }
    for (const text of lines) out.push({ text, intent });
  }
  return out;
}
