import type { DirectoryService } from './directory.js';
import { findServices } from './match.js';

/** One request of the service-finding evaluation set and the service (by name) it should find. */
export interface EvalRequest { text: string; language: 'en' | 'es'; expected: string }

export interface EvalResult {
  total: number;
  top1: number;
  byLanguage: Record<'en' | 'es', { total: number; top1: number }>;
  misses: Array<{ text: string; expected: string; got: string | null }>;
}

/** Top-1 accuracy of the matcher on a directory; the patient's language is the request's. */
export function evaluate(directory: readonly DirectoryService[], requests: readonly EvalRequest[], timeZone = 'UTC'): EvalResult {
  const names = new Map(directory.map((s) => [s.id, s.name]));
  const out: EvalResult = { total: 0, top1: 0, byLanguage: { en: { total: 0, top1: 0 }, es: { total: 0, top1: 0 } }, misses: [] };
  for (const r of requests) {
    const best = findServices(directory, { text: r.text, language: r.language, patientLanguage: r.language, timeZone, limit: 1 })[0];
    const got = best === undefined ? null : names.get(best.serviceId) ?? null;
    const hit = got === r.expected;
    out.total++;
    out.byLanguage[r.language].total++;
    if (hit) { out.top1++; out.byLanguage[r.language].top1++; } else out.misses.push({ text: r.text, expected: r.expected, got });
  }
  return out;
}
