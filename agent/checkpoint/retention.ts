/**
 * Which steps a tier drops: pure. Keeps the `keep` newest complete steps and every protected
 * one (the committed step, the step in flight); drops older complete steps and incomplete steps
 * older than the newest complete one. The newest complete step is never dropped, whatever `keep`.
 */
export interface StepOnTier {
  step: number;
  complete: boolean;
}

export function planRetention(steps: readonly StepOnTier[], keep: number, protect: ReadonlySet<number>): number[] {
  const complete = steps.filter((s) => s.complete).sort((a, b) => b.step - a.step);
  const newest = complete[0]?.step;
  if (newest === undefined) return [];
  const kept = new Set(complete.slice(0, Math.max(1, keep)).map((s) => s.step));
  return steps
    .filter((s) => !kept.has(s.step) && !protect.has(s.step) && s.step < newest)
    .map((s) => s.step)
    .sort((a, b) => a - b);
}
