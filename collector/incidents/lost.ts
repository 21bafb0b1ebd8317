/** The time an incident cost, from its timeline and the job's steps. Pure. */
import type { Incident, LostTime } from './types.ts';

const HOUR_MS = 3_600_000;

/**
 * Split an incident's cost. The moments: detection (first evidence → detected), identification
 * (→ identified, or → mitigated when never identified), recovery (→ recovered). The training
 * time lost: the stall (last good step → recovered, when training stopped) + recompute (steps
 * redone since the restored checkpoint × step time) + slowdown (a straggler's extra step time
 * while training went on). `recovered` defaults to `now` for an incident still open.
 */
export function lostTime(i: Incident, now?: number): LostTime {
  const t = i.timeline;
  const end = t.recovered ?? now ?? t.detected;
  const detection = Math.max(0, t.detected - t.firstEvidence);
  const identEnd = Math.min(end, t.identified ?? t.mitigated ?? end);
  const identification = Math.max(0, identEnd - t.detected);
  const recovery = Math.max(0, end - Math.max(identEnd, t.detected));
  const redone =
    i.stalled && i.restoredStep !== undefined && i.stepReached !== undefined
      ? Math.max(0, i.stepReached - i.restoredStep)
      : 0;
  const recompute = Math.round(redone * (i.stepTimeMs ?? 0));
  const slowdown = Math.round(i.slowdownMs ?? 0);
  const stall = i.stalled ? Math.max(0, end - (i.lastGoodStepAt ?? t.firstEvidence)) : 0;
  const total = stall + recompute + slowdown;
  const gpuHours = (total * (i.gpus ?? 0)) / HOUR_MS;
  return { detection, identification, recovery, recompute, slowdown, total, gpuHours };
}
