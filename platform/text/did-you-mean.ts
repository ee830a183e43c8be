/** Edit distance (insert, delete, substitute, swap of neighbours), for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (rows[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    const prev = rows[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = d;
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}

/**
 * The candidate nearest to `word` (case-insensitive), if it is close enough to be a likely typo:
 * at most a third of the word's length in edits (and at least one), or the same last segment.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (best === undefined || d < best.d) best = { c, d };
  }
  if (best === undefined) return undefined;
  if (best.d <= Math.max(1, Math.floor(w.length / 3))) return best.c;
  return undefined;
}

/** "; did you mean "x"?" or the fallback text, for error messages. */
export function didYouMean(word: string, candidates: Iterable<string>, fallback = ''): string {
  const near = closest(word, candidates);
  return near === undefined ? fallback : `; did you mean "${near}"?`;
}
