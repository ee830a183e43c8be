import { readFileSync } from 'node:fs';
import { foldWords, openingYesNo } from '../lexicon/yes-no.js';
import { join } from 'node:path';
import { repoRoot } from '../paths.js';
import { defaultCatalog, type Catalog } from './catalog.js';
import type { CompiledWorkflow } from './compiled.js';
import { compileWorkflow } from './compiler.js';
import { formatProblem } from './problems.js';
import type { SimulationOptions, Understood } from './simulator.js';

/** A library workflow's source (`workflows/library/<name>.flow`), read from the source tree. */
export function librarySource(name: string): string {
  return readFileSync(join(repoRoot(), 'workflows', 'library', `${name}.flow`), 'utf8');
}

/** Compiles or throws with every problem listed: for tests and fixtures only. */
export function mustCompile(source: string, catalog: Catalog = defaultCatalog(['en', 'es'])): CompiledWorkflow {
  const r = compileWorkflow(source, catalog);
  if (!r.ok) throw new Error(`workflow does not compile:\n${r.problems.map(formatProblem).join('\n')}`);
  return r.workflow;
}

/** A keyword NLU for unit tests: `intent` by first matching keyword, numbers and yes/no as entities. */
export function keywordUnderstanding(keywords: Record<string, string>): SimulationOptions['understand'] {
  return (text, language) => {
    const lower = text.toLowerCase();
    const intent = Object.entries(keywords).find(([k]) => lower.includes(k))?.[1] ?? 'fallback';
    const entities: Understood['entities'] = [];
    const words = foldWords(text);
    const yn = openingYesNo(words);
    if (yn !== null) entities.push({ type: 'yes_no', value: yn.value, text: words.slice(0, yn.words).join(' ') });
    for (const m of text.matchAll(/\d+(?:\.\d+)?/g)) entities.push({ type: 'number', value: m[0], text: m[0] });
    return { intent, language, entities };
  };
}

export { realUnderstanding } from './understanding.js';
