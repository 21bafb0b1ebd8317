/** Percentiles of latency samples (nearest rank), rounded for reports. */

/** The p-th percentile (0–100) of `samples` by nearest rank; NaN when there are none. */
export function percentile(samples: ArrayLike<number>, p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** p50, p99 and max of `samples`, rounded to 0.1 ms. */
export function latencySummary(samples: ArrayLike<number>): { p50Ms: number; p99Ms: number; maxMs: number } {
  const r = (v: number) => Math.round(v * 10) / 10;
  return { p50Ms: r(percentile(samples, 50)), p99Ms: r(percentile(samples, 99)), maxMs: r(percentile(samples, 100)) };
}
