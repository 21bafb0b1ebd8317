/**
 * The goal beside each benchmark figure (from the issues), as `≤ 1`-style strings, and the pure
 * check of a figure against one. A bench may also print its own `goals` object in its JSON.
 */

/** Goals by bench script or RESULTS.md section id (the id's goals win), then figure. */
export const GOALS: Record<string, Record<string, string>> = {
  agent: { cpuPercent: '≤ 1', rssMB: '≤ 80', maxEventLoopDelayMs: '≤ 20' },
  collector: { p99Ms: '< 100' },
  'collector-10000': { agents: '≥ 10000' },
  'collector-10000-tmpfs': { agents: '≥ 10000' },
  'reconnect-storm': { busyRatio: '< 0.25' },
};

/** Whether `value` meets `goal` (`≤ 1`, `< 100`, `≥ 10000`, `> 0`, `= 0`); undefined when the goal is not numeric. */
export function meetsGoal(value: unknown, goal: string): boolean | undefined {
  const m = /^\s*(≤|<=|<|≥|>=|>|=)\s*(-?[\d.]+)/.exec(goal);
  if (!m || typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  const limit = Number(m[2]);
  switch (m[1]) {
    case '≤':
    case '<=':
      return value <= limit;
    case '<':
      return value < limit;
    case '≥':
    case '>=':
      return value >= limit;
    case '>':
      return value > limit;
    default:
      return value === limit;
  }
}
