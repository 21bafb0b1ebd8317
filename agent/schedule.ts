/**
 * Turns a probe's interval into a node-cron expression (6 fields, seconds first). Cron can
 * only express intervals that divide the minute, hour or day evenly, so others are rounded
 * to the nearest such interval and the rounding is reported.
 */

const SECOND_STEPS = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30];
const MINUTE_STEPS = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30];
const HOUR_STEPS = [1, 2, 3, 4, 6, 8, 12];

function nearest(steps: number[], v: number): number {
  return steps.reduce((best, s) => (Math.abs(s - v) < Math.abs(best - v) ? s : best), steps[0]!);
}

/** A cron expression firing every ~`intervalSec`, and the interval it actually gives. Pure. */
export function cronForInterval(intervalSec: number): { expression: string; effectiveSec: number } {
  const sec = Math.max(1, Math.round(intervalSec));
  if (sec < 60) {
    const s = nearest(SECOND_STEPS, sec);
    return { expression: s === 1 ? '* * * * * *' : `*/${s} * * * * *`, effectiveSec: s };
  }
  if (sec < 3600) {
    const m = nearest(MINUTE_STEPS, sec / 60);
    return { expression: m === 1 ? '0 * * * * *' : `0 */${m} * * * *`, effectiveSec: m * 60 };
  }
  if (sec < 86_400) {
    const h = nearest(HOUR_STEPS, sec / 3600);
    return { expression: h === 1 ? '0 0 * * * *' : `0 0 */${h} * * *`, effectiveSec: h * 3600 };
  }
  return { expression: '0 0 0 * * *', effectiveSec: 86_400 };
}
