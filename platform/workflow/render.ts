import type { CompiledWorkflow } from './compiled.js';
import type { Value } from './functions.js';
import type { WorkflowReply } from './runtime-types.js';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** How a value reads in a message: instants as "Mon, 12 Jan, 09:00", booleans as yes/no. */
export function display(v: Value, language: string, timeZone: string): string {
  if (v === null) return '';
  if (typeof v === 'boolean') return v ? (language === 'es' ? 'sí' : 'yes') : 'no';
  if (typeof v === 'string' && ISO_INSTANT.test(v)) {
    const fmt = new Intl.DateTimeFormat(language === 'es' ? 'es-ES' : 'en-GB', { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZone });
    return fmt.format(new Date(v));
  }
  return String(v);
}

export function fill(template: string, lookup: (name: string) => string): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => lookup(name));
}

/** FNV-1a: a stable, cheap hash for picking a variant without Math.random. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The variants of a text in `language` (else the workflow's first language that has it). */
export function variantsOf(wf: CompiledWorkflow, textId: string, language: string): string[] {
  const byLang = wf.texts[textId] ?? {};
  return byLang[language] ?? wf.languages.map((l) => byLang[l]).find((v) => v !== undefined) ?? Object.values(byLang)[0] ?? [];
}

/** One reply: every variant rendered (a later bandit may pick), the chosen index from a hash of `seed`. */
export function renderReply(wf: CompiledWorkflow, textId: string, language: string, lookup: (name: string) => string, seed: string, quickReplies: string[] = []): WorkflowReply {
  const variants = variantsOf(wf, textId, language).map((t) => fill(t, lookup));
  const variantIndex = variants.length === 0 ? 0 : fnv1a(`${textId}:${seed}`) % variants.length;
  return { templateId: textId.startsWith('~') ? null : textId, text: variants[variantIndex] ?? '', variants, variantIndex, quickReplies };
}
