/**
 * Turns a probe's interval into a node-cron expression (6 fields, seconds first). Cron can
 * only express intervals that divide the minute, hour or day evenly, so others are rounded
 * to the nearest such interval and the rounding is reported. An offset in seconds moves the
 * runs off the top of the minute: a host's probes then do not all run in the same second
 * (their work would queue behind each other on the event loop), nor a fleet's agents report at once.
 */

const SECOND_STEPS = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30];
const MINUTE_STEPS = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30];
const HOUR_STEPS = [1, 2, 3, 4, 6, 8, 12];

function nearest(steps: number[], v: number): number {
  return steps.reduce((best, s) => (Math.abs(s - v) < Math.abs(best - v) ? s : best), steps[0]!);
}

/**
 * A cron expression firing every ~`intervalSec`, `offsetSec` seconds into each period (taken
 * modulo the period, and below a minute), and the interval it actually gives. Pure.
 */
export function cronForInterval(intervalSec: number, offsetSec = 0): { expression: string; effectiveSec: number } {
  const sec = Math.max(1, Math.round(intervalSec));
  const off = Math.max(0, Math.floor(offsetSec)) % 60;
  if (sec < 60) {
    const s = nearest(SECOND_STEPS, sec);
    if (s === 1) return { expression: '* * * * * *', effectiveSec: 1 };
    const first = off % s;
    const seconds = Array.from({ length: 60 / s }, (_, i) => first + i * s);
    return { expression: first === 0 ? `*/${s} * * * * *` : `${seconds.join(',')} * * * * *`, effectiveSec: s };
  }
  if (sec < 3600) {
    const m = nearest(MINUTE_STEPS, sec / 60);
    return { expression: m === 1 ? `${off} * * * * *` : `${off} */${m} * * * *`, effectiveSec: m * 60 };
  }
  if (sec < 86_400) {
    const h = nearest(HOUR_STEPS, sec / 3600);
    return { expression: h === 1 ? `${off} 0 * * * *` : `${off} 0 */${h} * * *`, effectiveSec: h * 3600 };
  }
  return { expression: `${off} 0 0 * * *`, effectiveSec: 86_400 };
}

/** A second 0–59 picked by hashing `key` (FNV-1a): the same on every restart, spread across keys. Pure. */
export function staggerSecond(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % 60;
}
