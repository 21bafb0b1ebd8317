/** The time an incident cost, from its timeline and the job's steps. Pure. */
import type { Incident, LostTime } from './types.ts';

const HOUR_MS = 3_600_000;

/**
 * Split an incident's cost. For a stall: detection (first evidence → detected), identification
 * (→ identified, or → mitigated when never identified), recovery (→ recovered) and recompute
 * (steps redone since the restored checkpoint × step time); total = the three + recompute.
 * For an incident where training went on: total = the straggler's slowdown. `recovered`
 * defaults to `now` for an incident still open (its cost so far).
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
  const total = i.stalled ? Math.max(0, end - t.firstEvidence) + recompute : slowdown;
  const gpuHours = (total * (i.gpus ?? 0)) / HOUR_MS;
  return { detection, identification, recovery, recompute, slowdown, total, gpuHours };
}
