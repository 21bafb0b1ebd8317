/**
 * The escalation ladder: restart → reset → reboot → inspect, remembered per node and code.
 * A step may be taken `repeats` times for the same node and code within the memory window;
 * after that the ladder climbs. The last step is where it ends. Pure.
 */
import type { Action } from '../../core/finding.ts';
import type { LadderSpec, LadderStep } from './policy.ts';

/** One step taken (or recommended) for a node and code. */
export interface LadderEntry {
  node: string;
  code: string;
  step: LadderStep;
  at: number;
}

export interface LadderVerdict {
  step: LadderStep;
  /** How many times this step was already taken for the node and code within memory. */
  alreadyTaken: number;
  /** Why, for the audit. */
  why: string;
}

/**
 * The next step for a finding on `node` with `code` that suggests `suggested`, or undefined
 * when the suggestion is not on the ladder (drain, none).
 */
export function nextLadderStep(
  ladder: LadderSpec,
  history: readonly LadderEntry[],
  node: string,
  code: string,
  suggested: Action,
  now: number,
): LadderVerdict | undefined {
  const start = ladder.steps.indexOf(suggested as LadderStep);
  if (start < 0) return undefined;
  const since = now - ladder.memoryHours * 3_600_000;
  const taken = (step: LadderStep) =>
    history.filter((h) => h.node === node && h.code === code && h.step === step && h.at >= since && h.at <= now).length;
  for (let i = start; i < ladder.steps.length; i++) {
    const step = ladder.steps[i]!;
    const n = taken(step);
    const allowed = ladder.repeats[step] ?? 1;
    const last = i === ladder.steps.length - 1;
    if (n < allowed || last) {
      const why =
        i === start
          ? `${code} suggests ${step} (${n} earlier on this node)`
          : `${code} on this node already had ${ladder.steps[i - 1]} ${taken(ladder.steps[i - 1]!)}× → ${step}`;
      return { step, alreadyTaken: n, why };
    }
  }
  return undefined;
}

/** Drop entries older than the memory window (to bound state). */
export function pruneLadder(ladder: LadderSpec, history: readonly LadderEntry[], now: number): LadderEntry[] {
  const since = now - ladder.memoryHours * 3_600_000;
  return history.filter((h) => h.at >= since);
}
