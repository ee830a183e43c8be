/*
 * Draws from the usual distributions given a uniform source on [0, 1), so every caller (bandits,
 * simulator) stays pure and reproducible: the generator is always a parameter.
 */
export type Uniform = () => number;

/** Standard normal by Box-Muller (one of the pair; the other is discarded to keep no state). */
export function normal(rand: Uniform, mean = 0, sd = 1): number {
  const u = 1 - rand();
  const v = rand();
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Gamma(shape, 1) by Marsaglia-Tsang; shape < 1 boosted by U^(1/shape). */
export function gamma(rand: Uniform, shape: number): number {
  if (shape < 1) return gamma(rand, shape + 1) * Math.pow(1 - rand(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rand);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rand();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(a, b) as X / (X + Y) of two gammas. */
export function beta(rand: Uniform, a: number, b: number): number {
  const x = gamma(rand, a);
  const y = gamma(rand, b);
  return x / (x + y);
}

/** An index drawn with the given weights (need not sum to 1). */
export function categorical(rand: Uniform, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let u = rand() * total;
  for (let i = 0; i < weights.length; i += 1) {
    u -= weights[i] ?? 0;
    if (u < 0) return i;
  }
  return weights.length - 1;
}
