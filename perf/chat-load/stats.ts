/** Latency figures in milliseconds, exact: computed from every stored sample, not a sketch. */
export interface LatencySummary {
  count: number;
  mean: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array: the smallest sample with at least p% at or below it. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

/** Summarises samples; null when there are none, so a report never shows a made-up zero. */
export function summarize(samples: readonly number[]): LatencySummary | null {
  if (samples.length === 0) return null;
  const sorted = Float64Array.from(samples).sort();
  const arr = Array.from(sorted);
  let sum = 0;
  for (const v of arr) sum += v;
  return {
    count: arr.length,
    mean: round(sum / arr.length),
    min: round(arr[0] ?? Number.NaN),
    p50: round(percentile(arr, 50)),
    p95: round(percentile(arr, 95)),
    p99: round(percentile(arr, 99)),
    max: round(arr[arr.length - 1] ?? Number.NaN),
  };
}

/** Three decimals: microsecond resolution is all performance.now() differences are worth here. */
export function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
