/**
 * Loss detectors: NaN/Inf (a condition while the latest loss is not finite), spikes (robust
 * z-score against the previous window, plus a minimum relative rise; early in a run a jump to
 * ≥ earlyRatio × the median so far) and a flat loss (no movement for N reports). Pure.
 */
import type { Observation } from '../../../core/finding.ts';
import type { LossPoint } from '../job-state.ts';
import { madSigma, median } from '../robust-stats.ts';
import { jobComponent } from '../types.ts';
import { trainingObservation } from './observation.ts';
import type { LossSettings } from './settings.ts';

/** `train.loss.nan` while the latest loss is NaN/Inf or the log counted NaN iterations. */
export function detectLossNan(job: string, losses: readonly LossPoint[], nanIterations = 0): Observation[] {
  const last = losses[losses.length - 1];
  if (last && !Number.isFinite(last.loss)) {
    return [
      trainingObservation(
        'train.loss.nan',
        jobComponent(job),
        `Job ${job}: loss is ${last.loss} at step ${last.step} (rank ${last.rank})`,
        `step=${last.step} loss=${last.loss}`,
      ),
    ];
  }
  if (nanIterations > 0) {
    return [
      trainingObservation(
        'train.loss.nan',
        jobComponent(job),
        `Job ${job}: ${nanIterations} NaN iterations reported${last ? ` up to step ${last.step}` : ''}`,
        `nanIterations=${nanIterations}`,
      ),
    ];
  }
  return [];
}

/** Whether the loss at index i is a spike against the losses before it; returns the reason. */
export function spikeAt(losses: readonly LossPoint[], i: number, s: LossSettings): string | undefined {
  const p = losses[i];
  if (!p || !Number.isFinite(p.loss)) return undefined;
  const prev = losses
    .slice(Math.max(0, i - s.window), i)
    .map((l) => l.loss)
    .filter(Number.isFinite);
  if (prev.length === 0) return undefined;
  const m = median(prev);
  if (prev.length < s.minHistory) {
    return m > 0 && p.loss >= s.earlyRatio * m ? `${(p.loss / m).toFixed(2)}× the median ${fmt(m)} so far` : undefined;
  }
  const sigma = madSigma(prev);
  const rise = p.loss - m;
  if (rise <= s.minRise * Math.abs(m)) return undefined;
  if (sigma === 0) return `above a constant ${fmt(m)}`;
  const z = rise / sigma;
  return z >= s.z ? `robust z ${z.toFixed(1)} over the median ${fmt(m)} of the last ${prev.length}` : undefined;
}

const fmt = (x: number) => (Math.abs(x) >= 1000 || Math.abs(x) < 0.01 ? x.toExponential(3) : x.toFixed(4));

/** `train.loss.spike` events for the losses with seq > afterSeq, one per episode of consecutive spikes. */
export function detectLossSpikes(
  job: string,
  losses: readonly LossPoint[],
  afterSeq: number,
  s: LossSettings,
): Observation[] {
  const out: Observation[] = [];
  for (let i = 0; i < losses.length; i++) {
    const p = losses[i];
    if (!p || p.seq <= afterSeq) continue;
    const why = spikeAt(losses, i, s);
    // One event per episode: a loss still up after a spike continues it.
    if (why && !(i > 0 && spikeAt(losses, i - 1, s))) {
      out.push(
        trainingObservation(
          'train.loss.spike',
          jobComponent(job),
          `Job ${job}: loss spiked to ${fmt(p.loss)} at step ${p.step} (${why})`,
          `step=${p.step} loss=${p.loss}`,
          { at: p.at },
        ),
      );
    }
  }
  return out;
}

/** `train.loss.flat` when the last flatReports losses are all equal within the tolerance. */
export function detectLossFlat(job: string, losses: readonly LossPoint[], s: LossSettings): Observation[] {
  if (losses.length < s.flatReports) return [];
  const recent = losses.slice(-s.flatReports).map((l) => l.loss);
  if (!recent.every(Number.isFinite)) return [];
  const lo = Math.min(...recent);
  const hi = Math.max(...recent);
  if (hi - lo > s.flatTolerance * Math.max(Math.abs(hi), Math.abs(lo), 1e-12)) return [];
  const last = losses[losses.length - 1];
  return [
    trainingObservation(
      'train.loss.flat',
      jobComponent(job),
      `Job ${job}: loss has stayed at ${fmt(hi)} for ${s.flatReports} reports (up to step ${last?.step}); the job may be running empty`,
      `loss=${hi} reports=${s.flatReports}`,
    ),
  ];
}
