/** Lower case, accents removed, typographic apostrophes folded: the form rules and lexicons compare against. */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[’‘`´]/g, "'");
}

export interface Token { text: string; folded: string; start: number; end: number }

// Word-ish runs with inner apostrophes/hyphens ("can't", "e-mail"); offsets point into the original text.
const WORD = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(WORD)) {
    const start = m.index;
    out.push({ text: m[0], folded: fold(m[0]), start, end: start + m[0].length });
  }
  return out;
}
