/**
 * Slowdown detection: the median per-step time over the recent window against the job's own
 * baseline, the lowest median of earlier non-overlapping windows. Medians make a single slow
 * step (or a few) harmless; pauses (eval, checkpoint) are left out. Pure.
 */
import type { Observation } from '../../../core/finding.ts';
import type { ProgressPoint } from '../job-state.ts';
import { median } from '../robust-stats.ts';
import { jobComponent } from '../types.ts';
import { fmtMs, trainingObservation } from './observation.ts';
import type { SlowSettings } from './settings.ts';

/** Per-step times (ms) from progress points: the rank-measured stepMs when given, else interval ÷ steps. */
export function stepTimes(progress: readonly ProgressPoint[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < progress.length; i++) {
    const a = progress[i - 1];
    const b = progress[i];
    if (!a || !b) continue;
    out.push(b.stepMs ?? (b.at - a.at) / Math.max(1, b.step - a.step));
  }
  return out;
}

/** Baseline and current medians, or undefined when there is not enough history yet. */
export function slowVerdict(
  times: readonly number[],
  s: SlowSettings,
): { baseline: number; current: number; ratio: number } | undefined {
  const usable = times.slice(s.warmupReports);
  const med = median(usable);
  const steady = usable.filter((t) => t <= s.pauseFactor * med);
  if (steady.length < 2 * s.window) return undefined;
  const current = median(steady.slice(-s.window));
  let baseline = Number.POSITIVE_INFINITY;
  for (let end = steady.length - s.window; end >= s.window; end -= s.window) {
    baseline = Math.min(baseline, median(steady.slice(end - s.window, end)));
  }
  if (!Number.isFinite(baseline) || baseline <= 0) return undefined;
  return { baseline, current, ratio: current / baseline };
}

/** `train.slow` when the recent median step time regressed past the threshold. */
export function detectSlow(job: string, progress: readonly ProgressPoint[], s: SlowSettings): Observation[] {
  const v = slowVerdict(stepTimes(progress), s);
  if (!v || v.ratio < 1 + s.threshold) return [];
  const pct = Math.round((v.ratio - 1) * 100);
  return [
    trainingObservation(
      'train.slow',
      jobComponent(job),
      `Job ${job}: steps are ${pct}% slower than its baseline (median ${fmtMs(v.current)} over the last ${s.window} vs ${fmtMs(v.baseline)})`,
      `currentMs=${v.current.toFixed(1)} baselineMs=${v.baseline.toFixed(1)} ratio=${v.ratio.toFixed(3)}`,
    ),
  ];
}
