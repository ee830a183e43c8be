/*
 * Beta posteriors of a success rate: numbers that both bandits (send time, variants) and the
 * results view share. Computed on a grid, so no special functions and the same answer everywhere.
 */

/** Trials and successes of one arm (a variant, an hour slot). */
export interface ArmStats { sends: number; rewards: number }

export interface BetaParams { a: number; b: number }

/** The posterior of a rate from Beta(a0, b0) after `stats`. */
export function posterior(stats: ArmStats, prior: BetaParams = { a: 1, b: 1 }): BetaParams {
  const failures = Math.max(0, stats.sends - stats.rewards);
  return { a: prior.a + Math.max(0, stats.rewards), b: prior.b + failures };
}

export const betaMean = (p: BetaParams): number => p.a / (p.a + p.b);
export const betaSd = (p: BetaParams): number => Math.sqrt((p.a * p.b) / ((p.a + p.b) ** 2 * (p.a + p.b + 1)));

const GRID = 512;

/** The grid [lo, hi] that holds every posterior's mass (±8 sd around the means, inside (0, 1)). */
function gridRange(params: readonly BetaParams[]): [number, number] {
  let lo = 1;
  let hi = 0;
  for (const p of params) {
    const m = betaMean(p);
    const s = betaSd(p);
    lo = Math.min(lo, m - 8 * s);
    hi = Math.max(hi, m + 8 * s);
  }
  return [Math.max(1e-9, lo), Math.min(1 - 1e-9, hi)];
}

/** Normalised density weights of Beta(p) at the grid's points (midpoint rule). */
function densityOnGrid(p: BetaParams, lo: number, step: number, n = GRID): Float64Array {
  const logs = new Float64Array(n);
  let max = -Infinity;
  for (let i = 0; i < n; i += 1) {
    const x = lo + (i + 0.5) * step;
    logs[i] = (p.a - 1) * Math.log(x) + (p.b - 1) * Math.log(1 - x);
    if (logs[i]! > max) max = logs[i]!;
  }
  let total = 0;
  for (let i = 0; i < n; i += 1) { logs[i] = Math.exp(logs[i]! - max); total += logs[i]!; }
  for (let i = 0; i < n; i += 1) logs[i] = logs[i]! / total;
  return logs;
}

/**
 * P(arm i has the highest rate) under independent Beta posteriors: exactly the probability with
 * which Thompson sampling picks arm i, so a pick drawn from it has a known propensity.
 */
export function probabilityBest(params: readonly BetaParams[]): number[] {
  if (params.length === 0) return [];
  if (params.length === 1) return [1];
  const [lo, hi] = gridRange(params);
  const step = (hi - lo) / GRID;
  const dens = params.map((p) => densityOnGrid(p, lo, step));
  // cdf[i] just below each grid point; a point's own half counts as a tie split.
  const cdfs = dens.map((d) => { const c = new Float64Array(GRID); let s = 0; for (let i = 0; i < GRID; i += 1) { c[i] = s + d[i]! / 2; s += d[i]!; } return c; });
  const out = params.map((_, k) => {
    let sum = 0;
    for (let i = 0; i < GRID; i += 1) {
      let others = 1;
      for (let j = 0; j < params.length; j += 1) if (j !== k) others *= cdfs[j]![i]!;
      sum += dens[k]![i]! * others;
    }
    return sum;
  });
  const total = out.reduce((s, v) => s + v, 0);
  return out.map((v) => (total > 0 ? v / total : 1 / params.length));
}

/** The central credible interval of Beta(p) holding `mass` (0.95: the 2.5 % and 97.5 % quantiles). */
export function credibleInterval(p: BetaParams, mass = 0.95): [number, number] {
  const [lo, hi] = gridRange([p]);
  const n = GRID * 4;
  const step = (hi - lo) / n;
  const dens = densityOnGrid(p, lo, step, n);
  const tail = (1 - mass) / 2;
  let cum = 0;
  let low = lo;
  let lowSet = false;
  for (let i = 0; i < n; i += 1) {
    cum += dens[i]!;
    if (!lowSet && cum >= tail) { low = lo + i * step; lowSet = true; }
    if (cum >= 1 - tail) return [low, lo + (i + 1) * step];
  }
  return [low, hi];
}
