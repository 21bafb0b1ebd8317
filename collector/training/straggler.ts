/**
 * Straggler detection across nodes: each node's step time against the median of the job's
 * OTHER nodes (so two-node jobs work too); a node at ≥ 1 + threshold over a sustained window
 * (its median and three quarters of its points, at least minSamples) is a straggler. Pure.
 */
import type { Observation } from '../../core/finding.ts';
import type { ReceivedSummary } from './types.ts';

export interface StragglerSettings {
  /** Relative slowness that counts: 0.10 = 10% slower. */
  threshold: number;
  /** How long the slowness must last, ms. */
  sustainMs: number;
  /** Summaries needed inside the window. */
  minSamples: number;
  /** A node's summary older than this is left out of the comparison, ms. */
  staleMs: number;
}

export const DEFAULT_STRAGGLER_SETTINGS: StragglerSettings = {
  threshold: 0.1,
  sustainMs: 60_000,
  minSamples: 5,
  staleMs: 30_000,
};

/** One comparison: a node's step time over the median of the others' at that moment. */
export interface RatioPoint {
  at: number;
  ratio: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? Number.NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

/** Each comparable node's ratio to the median of the other nodes (fresh, training, with a step time). */
export function stepTimeRatios(latest: readonly ReceivedSummary[], now: number, staleMs: number): Map<string, number> {
  const ok = latest.filter(
    (s) =>
      s.stepTimeMs !== undefined && s.stepTimeMs > 0 && s.phase === 'train' && !s.hung && now - s.receivedAt <= staleMs,
  );
  const out = new Map<string, number>();
  if (ok.length < 2) return out;
  for (const s of ok) {
    const others = ok.filter((o) => o.node !== s.node).map((o) => o.stepTimeMs ?? 0);
    const ref = median(others);
    if (ref > 0) out.set(s.node, (s.stepTimeMs ?? 0) / ref);
  }
  return out;
}

/** Whether a node's ratio history says "straggler" now: the window is covered and its points are slow. */
export function isStraggler(history: readonly RatioPoint[], now: number, s: StragglerSettings): boolean {
  const inWindow = history.filter((p) => now - p.at <= s.sustainMs);
  if (inWindow.length < s.minSamples) return false;
  const oldest = Math.min(...inWindow.map((p) => p.at));
  // The slowness must span (most of) the window, not a burst of summaries.
  if (now - oldest < s.sustainMs * 0.8) return false;
  // Sustained: the window's median is slow, and so are at least three quarters of its points.
  const slow = inWindow.filter((p) => p.ratio >= 1 + s.threshold).length;
  return median(inWindow.map((p) => p.ratio)) >= 1 + s.threshold && slow * 4 >= inWindow.length * 3;
}

/** The `train.straggler` observation for a node. */
export function stragglerObservation(
  job: string,
  node: string,
  history: readonly RatioPoint[],
  now: number,
  s: StragglerSettings,
): Observation {
  const recent = history.filter((p) => now - p.at <= s.sustainMs).map((p) => p.ratio);
  const pct = Math.round((median(recent) - 1) * 100);
  return {
    code: 'train.straggler',
    component: `job:${job}`,
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'condition',
    message: `Job ${job}: node ${node} steps ${pct}% slower than the job's other nodes (median over ${Math.round(s.sustainMs / 1000)} s)`,
    evidence: `ratios=${recent
      .map((r) => r.toFixed(3))
      .slice(-10)
      .join(',')}`,
  };
}
