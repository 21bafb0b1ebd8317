/**
 * Hang detection: a job is hung when no step has advanced for longer than an adaptive
 * timeout, k × a high quantile of its recent report intervals (pauses excluded), never below
 * a floor. Warm-up (too few intervals yet), declared eval/checkpoint phases and learned
 * periodic pauses (a checkpoint every N steps) get grace. Pure: job view + now in.
 */
import type { Observation } from '../../../core/finding.ts';
import type { JobView, ProgressPoint } from '../job-state.ts';
import { gcd, median, quantile } from '../robust-stats.ts';
import { jobComponent } from '../types.ts';
import { fmtMs, trainingObservation } from './observation.ts';
import type { HangSettings } from './settings.ts';

/** How long silence may last now, and why. */
export interface HangTimeout {
  timeoutMs: number;
  /** Human explanation, e.g. "3 × p90 interval 2.0 s". */
  basis: string;
  /** Silence is measured from here (last progress, or the start of the current phase). */
  since: number;
}

interface Interval {
  /** The step before the interval (a pause "at step s" follows the report of step s). */
  step: number;
  /** Steps the interval covers (a log may report every 10 iterations). */
  steps: number;
  ms: number;
}

function intervals(progress: readonly ProgressPoint[], window: number): Interval[] {
  const out: Interval[] = [];
  // The first interval (step 1 after start, compile) is skipped: it is warm-up, not a step.
  const from = Math.max(1, progress.length - window);
  for (let i = from + 1; i < progress.length; i++) {
    const a = progress[i - 1];
    const b = progress[i];
    if (a && b) out.push({ step: a.step, steps: b.step - a.step, ms: b.at - a.at });
  }
  return out;
}

/** The timeout that applies to the job right now. */
export function hangTimeout(v: JobView, s: HangSettings): HangTimeout {
  const last = v.progress[v.progress.length - 1];
  const since = Math.max(last?.at ?? v.firstSeenAt, v.phaseSince);
  const iv = intervals(v.progress, s.window);
  let timeoutMs: number;
  let basis: string;
  if (iv.length < s.minIntervals) {
    const longest = Math.max(0, ...iv.map((i) => i.ms));
    timeoutMs = Math.max(s.floorMs, s.startupGraceMs, 10 * longest);
    basis = `warm-up grace (${iv.length} of ${s.minIntervals} intervals seen)`;
  } else {
    const med = median(iv.map((i) => i.ms));
    const normal = iv.filter((i) => i.ms <= s.pauseFactor * med).map((i) => i.ms);
    const q = quantile(normal, s.quantile);
    timeoutMs = Math.max(s.floorMs, s.k * q);
    basis =
      timeoutMs === s.floorMs
        ? `floor ${fmtMs(s.floorMs)}`
        : `${s.k} × p${Math.round(s.quantile * 100)} interval ${fmtMs(q)}`;
    // Learned periodic pauses: past pauses at steps sharing a period, and we are at such a step.
    const pauses = iv.filter((i) => i.ms > s.pauseFactor * med);
    const delta = Math.max(1, Math.round(median(iv.map((i) => i.steps))));
    const period = gcd(pauses.map((p) => p.step));
    if (last && pauses.length > 0 && period >= 3 * delta && last.step % period === 0) {
      const longest = Math.max(...pauses.map((p) => p.ms));
      if (s.kPhase * longest > timeoutMs) {
        timeoutMs = s.kPhase * longest;
        basis = `learned pause every ${period} steps (longest ${fmtMs(longest)})`;
      }
    }
  }
  if (v.phase === 'eval' || v.phase === 'checkpoint') {
    const seen = v.phaseMaxMs[v.phase];
    const phaseMs = seen !== undefined ? Math.max(s.floorMs, s.kPhase * seen) : s.phaseGraceMs;
    if (phaseMs > timeoutMs) {
      timeoutMs = phaseMs;
      basis =
        seen !== undefined
          ? `${v.phase} phase (${s.kPhase} × longest ${fmtMs(seen)})`
          : `${v.phase} phase grace ${fmtMs(phaseMs)}`;
    }
  }
  return { timeoutMs, basis, since };
}

/** `train.hang` for the job when it is silent past its timeout (nothing when idle). */
export function detectHang(v: JobView, now: number, s: HangSettings): Observation[] {
  if (v.phase === 'idle') return [];
  const t = hangTimeout(v, s);
  const silent = now - t.since;
  if (silent <= t.timeoutMs) return [];
  const last = v.progress[v.progress.length - 1];
  const top = Math.max(...v.ranks.map((r) => r.lastStep), last?.step ?? 0);
  const behind = v.ranks.filter((r) => r.lastStep < top);
  const where = last ? `since step ${last.step}` : 'since the job was first seen (no step yet)';
  const lag =
    behind.length > 0 && behind.length < v.ranks.length
      ? `; ranks behind: ${behind
          .slice(0, 16)
          .map((r) => `${r.rank}${r.node ? `@${r.node}` : ''} (step ${r.lastStep})`)
          .join(', ')}`
      : '';
  const phase = v.phase === 'train' ? '' : ` in ${v.phase} phase`;
  return [
    trainingObservation(
      'train.hang',
      jobComponent(v.job),
      `Job ${v.job}: no progress for ${fmtMs(silent)}${phase} ${where} (timeout ${fmtMs(t.timeoutMs)}: ${t.basis})${lag}`,
      `lastStep=${last?.step ?? 'none'} silentMs=${Math.round(silent)} timeoutMs=${Math.round(t.timeoutMs)} ranks=${v.ranks.length}`,
    ),
  ];
}
