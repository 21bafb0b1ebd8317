/**
 * Hardware counters judged as rates over time: a counter that goes down was reset (driver
 * reload, reboot, or a wrap) and its delta is unknown, never negative.
 */

/** One reading of a monotonically increasing counter. */
export interface CounterReading {
  value: number;
  /** Epoch ms of the reading. */
  at: number;
  /** Boot id when it was read; a different boot means the counter restarted. */
  bootId?: string;
}

/** The increase between two readings, or undefined when it cannot be known (reset, reboot, no time passed). */
export function counterDelta(prev: CounterReading | undefined, cur: CounterReading): number | undefined {
  if (!prev) return undefined;
  if (prev.bootId !== undefined && cur.bootId !== undefined && prev.bootId !== cur.bootId) return undefined;
  if (cur.at <= prev.at) return undefined;
  if (!Number.isFinite(prev.value) || !Number.isFinite(cur.value)) return undefined;
  if (cur.value < prev.value) return undefined;
  return cur.value - prev.value;
}

/** Increase per second between two readings, or undefined (see counterDelta). */
export function counterRatePerSec(prev: CounterReading | undefined, cur: CounterReading): number | undefined {
  const d = counterDelta(prev, cur);
  if (d === undefined || !prev) return undefined;
  return d / ((cur.at - prev.at) / 1000);
}
