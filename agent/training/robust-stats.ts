/** Robust statistics for detectors: median, quantiles and the median absolute deviation. Pure. */

/** The q-quantile (0..1) with linear interpolation; NaN for an empty list. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = Math.min(Math.max(q, 0), 1) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = s[lo] ?? Number.NaN;
  const b = s[hi] ?? a;
  return a + (b - a) * (pos - lo);
}

/** The median; NaN for an empty list. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Median absolute deviation from the median, scaled to estimate a standard deviation (×1.4826). */
export function madSigma(values: readonly number[]): number {
  const m = median(values);
  return 1.4826 * median(values.map((v) => Math.abs(v - m)));
}

/** Greatest common divisor of positive integers (0 for none). */
export function gcd(values: readonly number[]): number {
  let g = 0;
  for (let v of values) {
    v = Math.abs(Math.round(v));
    let a = g;
    while (v) [a, v] = [v, a % v];
    g = a;
  }
  return g;
}
