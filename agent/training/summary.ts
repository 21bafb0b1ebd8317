/**
 * Summarises a job as this node sees it into the `training` wire message's payload
 * (protocol/training.ts), which the collector compares across nodes.
 */

import type { TrainingSummary } from '../../protocol/training.ts';
import { stepTimes } from './detectors/slow.ts';
import type { JobView } from './job-state.ts';
import { median } from './robust-stats.ts';

export { type TrainingSummary, trainingSummarySchema } from '../../protocol/training.ts';

/** Summarise one job's view for the collector. `window` = step times in the median. */
export function summarizeJob(node: string, v: JobView, window: number, hung: boolean): TrainingSummary {
  const last = v.progress[v.progress.length - 1];
  const times = stepTimes(v.progress).slice(1).slice(-window);
  const s: TrainingSummary = {
    job: v.job,
    node,
    ranks: v.ranks.length,
    lastStep: last?.step ?? 0,
    lastProgressAt: Math.round(last?.at ?? v.firstSeenAt),
    phase: v.phase,
  };
  if (v.world !== undefined) s.world = v.world;
  if (times.length > 0) s.stepTimeMs = median(times);
  if (hung) s.hung = true;
  if (v.restored) {
    s.restoredFrom = v.restored.step;
    s.restoredAt = Math.round(v.restored.at);
  }
  for (let i = v.losses.length - 1; i >= 0; i--) {
    const l = v.losses[i]!.loss;
    if (Number.isFinite(l)) {
      s.loss = l;
      break;
    }
  }
  return s;
}
