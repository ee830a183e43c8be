/*
 * Small-cell suppression for published tables of patient counts. Pure: no I/O, no clock.
 *
 * A table is an R×C grid of counts with its row totals, column totals and grand total (the margins
 * are sums of the interior). Primary suppression hides every cell under the minimum (zero included);
 * complementary suppression then hides more cells until no hidden cell can be computed from what is
 * shown: first so that no row or column equation (margins included) holds exactly one hidden cell,
 * then, checked exactly by linear algebra over all equations together, until no hidden cell is
 * determined by the shown cells and the sums.
 */

export const MIN_CELL_SIZE = 11;

/** A published count: the value, or null and suppressed. */
export interface Cell {
  value: number | null;
  suppressed: boolean;
}

export function shown(value: number): Cell {
  return { value, suppressed: false };
}

export const HIDDEN: Cell = Object.freeze({ value: null, suppressed: true }) as Cell;

/** A table with margins: m[r][c] for r < R, c < C the interior, m[r][C] row totals, m[R][c] column totals, m[R][C] the grand total. */
export type Grid = number[][];

/** Builds the full grid (with margins) from the interior counts. */
export function withMargins(interior: readonly (readonly number[])[], columns: number): Grid {
  const rows = interior.map((r) => [...r, r.reduce((a, b) => a + b, 0)]);
  const totals = Array.from({ length: columns + 1 }, (_, c) => rows.reduce((a, r) => a + (r[c] ?? 0), 0));
  return [...rows, totals];
}

/** The sum equations of a grid, each a list of [row, col] cells whose first members add up to the last. */
export function equations(rows: number, columns: number): Array<Array<[number, number]>> {
  const eqs: Array<Array<[number, number]>> = [];
  for (let r = 0; r <= rows; r++) eqs.push([...Array.from({ length: columns }, (_, c): [number, number] => [r, c]), [r, columns]]);
  for (let c = 0; c <= columns; c++) eqs.push([...Array.from({ length: rows }, (_, r): [number, number] => [r, c]), [rows, c]]);
  return eqs;
}

/**
 * Which hidden cells are determined by the shown ones through the sum equations: x is determined
 * when its unit vector lies in the row space of the equations restricted to the hidden cells.
 * Exact rational-free arithmetic: the coefficients are small integers, so elimination over doubles
 * with a tolerance is exact enough for tables of this size.
 */
export function determinedCells(hidden: readonly (readonly boolean[])[], rows: number, columns: number): Array<[number, number]> {
  const vars: Array<[number, number]> = [];
  const index = new Map<string, number>();
  for (let r = 0; r <= rows; r++) for (let c = 0; c <= columns; c++) if (hidden[r]?.[c] === true) { index.set(`${r},${c}`, vars.length); vars.push([r, c]); }
  if (vars.length === 0) return [];
  // Each equation as a vector over the hidden cells (the shown ones move to the constant side).
  const matrix = equations(rows, columns).map((eq) => {
    const v = new Array<number>(vars.length).fill(0);
    eq.forEach(([r, c], i) => {
      const k = index.get(`${r},${c}`);
      if (k !== undefined) v[k] = i === eq.length - 1 ? -1 : 1;
    });
    return v;
  }).filter((v) => v.some((x) => x !== 0));
  const basis = rowEchelon(matrix, vars.length);
  const rank = basis.length;
  return vars.filter((_, k) => {
    const unit = new Array<number>(vars.length).fill(0);
    unit[k] = 1;
    return rowEchelon([...basis, unit], vars.length).length === rank;
  });
}

function rowEchelon(input: number[][], width: number): number[][] {
  const m = input.map((r) => [...r]);
  const out: number[][] = [];
  let row = 0;
  for (let col = 0; col < width && row < m.length; col++) {
    let pivot = -1;
    for (let i = row; i < m.length; i++) if (Math.abs(m[i]?.[col] ?? 0) > 1e-9) { pivot = i; break; }
    if (pivot < 0) continue;
    [m[row], m[pivot]] = [m[pivot] as number[], m[row] as number[]];
    const p = m[row] as number[];
    for (let i = row + 1; i < m.length; i++) {
      const r = m[i] as number[];
      const f = (r[col] ?? 0) / (p[col] as number);
      if (f !== 0) for (let j = col; j < width; j++) r[j] = (r[j] ?? 0) - f * (p[j] ?? 0);
    }
    out.push(p);
    row++;
  }
  return out;
}

/**
 * Deterministic choice of the complementary cell among `cells`: an interior cell before a margin;
 * then one whose crossing equation already holds exactly one hidden cell (hiding it closes that
 * equation too, so fewer cells are lost); then the smallest; ties in row-major order.
 */
function pick(grid: Grid, hidden: boolean[][], cells: ReadonlyArray<[number, number]>, rows: number, columns: number, avoid: ReadonlyArray<[number, number]> = []): [number, number] | null {
  const hiddenIn = (eq: ReadonlyArray<[number, number]>): number => eq.filter(([r, c]) => hidden[r]?.[c] === true).length;
  const rowEq = (r: number): Array<[number, number]> => Array.from({ length: columns + 1 }, (_, c): [number, number] => [r, c]);
  const colEq = (c: number): Array<[number, number]> => Array.from({ length: rows + 1 }, (_, r): [number, number] => [r, c]);
  let best: [number, number] | null = null;
  let bestKey: number[] = [];
  for (const [r, c] of cells) {
    if (hidden[r]?.[c] === true) continue;
    // The crossing equations: the cell's row and column, but the one we are completing.
    const crossing = [rowEq(r), colEq(c)].filter((eq) => !avoid.every(([ar, ac]) => eq.some(([er, ec]) => er === ar && ec === ac)));
    const closes = crossing.some((eq) => hiddenIn(eq) === 1) ? 0 : 1;
    const key = [r === rows || c === columns ? 1 : 0, closes, grid[r]?.[c] ?? 0];
    if (best === null || key[0]! < bestKey[0]! || (key[0] === bestKey[0] && (key[1]! < bestKey[1]! || (key[1] === bestKey[1] && key[2]! < bestKey[2]!)))) { best = [r, c]; bestKey = key; }
  }
  return best;
}

/** The hidden pattern of a grid with margins: primary (< min) and complementary suppression. */
export function suppressionPattern(grid: Grid, min = MIN_CELL_SIZE): boolean[][] {
  const rows = grid.length - 1;
  const columns = (grid[0]?.length ?? 1) - 1;
  const hidden = grid.map((r) => r.map((v) => v < min));
  const eqs = equations(rows, columns);
  for (let guard = 0; guard < 10_000; guard++) {
    let changed = false;
    for (const eq of eqs) {
      if (eq.filter(([r, c]) => hidden[r]?.[c] === true).length !== 1) continue;
      const cell = pick(grid, hidden, eq, rows, columns, eq);
      if (cell !== null) { (hidden[cell[0]] as boolean[])[cell[1]] = true; changed = true; }
    }
    if (changed) continue;
    const determined = determinedCells(hidden, rows, columns);
    const first = determined[0];
    if (first === undefined) break;
    // Hide one more cell of the determined cell's row or column, then check again.
    const related = eqs.filter((eq) => eq.some(([r, c]) => r === first[0] && c === first[1])).flat();
    const cell = pick(grid, hidden, related, rows, columns) ?? pick(grid, hidden, eqs.flat(), rows, columns);
    if (cell === null) break;
    (hidden[cell[0]] as boolean[])[cell[1]] = true;
  }
  return hidden;
}

/** The grid as published cells. */
export function suppressGrid(grid: Grid, min = MIN_CELL_SIZE): Cell[][] {
  const hidden = suppressionPattern(grid, min);
  return grid.map((r, i) => r.map((v, j) => (hidden[i]?.[j] === true ? { ...HIDDEN } : shown(v))));
}

/** A count on its own (no table around it). */
export function single(value: number, min = MIN_CELL_SIZE): Cell {
  return value < min ? { ...HIDDEN } : shown(value);
}

// Student's t, two-sided 95 %: the 0.975 quantile for 1–30 degrees of freedom, then the normal's.
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export function t975(df: number): number {
  if (!Number.isFinite(df) || df >= 120) return 1.96;
  if (df > 30) return 2.042 - ((df - 30) / 90) * (2.042 - 1.98);
  return T975[Math.max(0, Math.floor(df) - 1)] as number;
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export interface MeanCi {
  n: number;
  mean: number;
  variance: number;
  ci95: [number, number];
}

/** Mean of a sample with its 95 % confidence interval (Student t); null for fewer than two values. */
export function meanCi(xs: readonly number[]): MeanCi | null {
  const n = xs.length;
  if (n < 2) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
  const half = t975(n - 1) * Math.sqrt(variance / n);
  return { n, mean, variance, ci95: [mean - half, mean + half] };
}

/** Difference of two means with Welch's 95 % interval. */
export function welch(a: MeanCi, b: MeanCi): { value: number; ci95: [number, number] } {
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  const se = Math.sqrt(va + vb);
  const df = se === 0 ? Infinity : (va + vb) ** 2 / ((va ** 2) / (a.n - 1) + (vb ** 2) / (b.n - 1));
  const value = a.mean - b.mean;
  const half = t975(df) * se;
  return { value, ci95: [value - half, value + half] };
}
