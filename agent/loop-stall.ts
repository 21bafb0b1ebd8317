/**
 * The agent's longest event-loop stall, measured without waking the loop a hundred times a second
 * (a 10 ms timer costs ~0.45 % of a core on a 2-core VM — a third of what the agent used — and is
 * timer noise on the cores training runs on).
 *
 * - While the agent works (a probe run holds the meter, or for `hotMs` after a busy window), a
 *   `resolutionMs` ticker runs and each tick's lateness is a stall, as monitorEventLoopDelay
 *   measures it.
 * - Otherwise the loop's utilization is read every 250 ms. A stall cannot outlast the time the
 *   loop was busy; one may straddle a reading, so each reading also carries what may still be
 *   running at the previous one (`foldReading`): for a reading taken by the window timer, no more
 *   than that timer's own lateness. An idle agent wakes 4 times a second.
 * Where the two meet (arming, disarming) the carried stretch is added, so the figure is never
 * below the true stall by more than the ticker's period.
 *
 * The bound is loose where many short tasks share a window (a 250 ms window holding 20 ms of GC
 * marking steps reads as a 20 ms stall). `always` keeps the ticker on for an exact figure.
 */
import { type EventLoopUtilization, performance } from 'node:perf_hooks';

export interface LoopStallOptions {
  /** The ticker's period while armed. */
  resolutionMs?: number;
  /** How often utilization is read while not armed (the idle agent's only wake-up). */
  windowMs?: number;
  /**
   * A reading whose loop was busier than this (default 8 ms) arms the ticker for `hotMs` (3 s): a
   * GC cycle's marking steps and pauses spread over a second or so, and past the first window
   * they are timed instead of summed into a bound.
   */
  busyMs?: number;
  hotMs?: number;
  /** Keep the ticker on all the time: every stall timed, none bounded. */
  always?: boolean;
}

/** Between two readings of the loop's utilization. */
export interface Reading {
  /** Time the loop was busy (ms). */
  activeMs: number;
  /** Time elapsed (ms). */
  elapsedMs: number;
  /**
   * Set when the reading is taken by a timer: how late that timer ran (ms). A stall is a timer
   * running late, and every timer due before this one runs before it, so the only stall that can
   * reach across this reading began after this timer was due: it is no longer than this.
   */
  timerLateMs?: number;
}

/**
 * Fold one reading: the longest stall it can contain (`stallMs`: its busy time plus what may have
 * reached across the previous reading) and what may reach across this one (`carryMs`). A reading
 * taken anywhere (a hold starting mid-task) carries its busy stretch — all of the previous carry
 * too when the loop never went idle in between; a timer's reading carries no more than its own
 * lateness. Pure.
 */
export function foldReading(carryMs: number, r: Reading): { stallMs: number; carryMs: number } {
  const neverIdle = r.activeMs >= r.elapsedMs - 0.01;
  const anywhere = neverIdle ? carryMs + r.activeMs : r.activeMs;
  return {
    stallMs: carryMs + r.activeMs,
    carryMs: r.timerLateMs === undefined ? anywhere : Math.min(anywhere, r.timerLateMs),
  };
}

/**
 * Node runs a repeating timer again `period` after its callback began, on libuv's millisecond clock:
 * a reading's own lateness is known to about a millisecond, and this much more is carried.
 */
const TIMER_SLACK_MS = 2;

/** A tick of the armed ticker: how late it ran (ms). Pure. */
export function tickStall(sinceLastTickMs: number, resolutionMs: number): number {
  return Math.max(0, sinceLastTickMs - resolutionMs);
}

export class LoopStallMeter {
  private readonly res: number;
  private readonly busyMs: number;
  private readonly hotMs: number;
  private readonly window: NodeJS.Timeout;
  private readonly windowMs: number;
  /** When the window timer's callback last began: it is next due `windowMs` later. */
  private lastWindowAt: number;
  private ticker: NodeJS.Timeout | undefined;
  private holds = 0;
  private hotUntil = 0;
  private maxStallMs = 0;
  /** The part the ticker measured (the rest are utilization bounds). */
  private maxTimedMs = 0;
  /** Unarmed: the busy stretch that may be running at the last reading. */
  private carryMs = 0;
  private lastElu: EventLoopUtilization;
  private lastReadAt: number;
  /** Armed: when the ticker last ran, and the stretch carried in from before arming (first tick only). */
  private lastTickAt = 0;
  private armCarryMs = 0;

  constructor(o: LoopStallOptions = {}) {
    this.res = o.resolutionMs ?? 10;
    this.busyMs = o.busyMs ?? 8;
    this.hotMs = o.hotMs ?? 3_000;
    this.lastElu = performance.eventLoopUtilization();
    this.lastReadAt = performance.now();
    this.windowMs = o.windowMs ?? 250;
    this.lastWindowAt = performance.now();
    this.window = setInterval(() => this.onWindow(), this.windowMs);
    this.window.unref();
    if (o.always) this.hold();
  }

  /** Time stalls finely until the returned release is called (idempotent). */
  hold(): () => void {
    this.holds++;
    this.update();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.update();
    };
  }

  /** Longest stall since the last reset, in ms (an upper bound where the ticker was off). */
  maxMs(): number {
    return this.maxStallMs;
  }

  /** Longest stall the ticker measured since the last reset, in ms (no bounds). */
  timedMaxMs(): number {
    return this.maxTimedMs;
  }

  /** Start a new period (a scrape read the figure). */
  reset(): void {
    this.maxStallMs = 0;
    this.maxTimedMs = 0;
  }

  /** Whether the ticker runs now. */
  get fineTimerOn(): boolean {
    return this.ticker !== undefined;
  }

  close(): void {
    clearInterval(this.window);
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  private note(stallMs: number): void {
    if (stallMs > this.maxStallMs) this.maxStallMs = stallMs;
  }

  /** Read utilization since the last reading (unarmed only); `timerLateMs` when a timer reads. */
  private read(timerLateMs?: number): Reading {
    const now = performance.now();
    const elu = performance.eventLoopUtilization();
    const r: Reading = {
      activeMs: performance.eventLoopUtilization(elu, this.lastElu).active,
      elapsedMs: now - this.lastReadAt,
      ...(timerLateMs !== undefined ? { timerLateMs } : {}),
    };
    this.lastElu = elu;
    this.lastReadAt = now;
    const f = foldReading(this.carryMs, r);
    this.note(f.stallMs);
    this.carryMs = f.carryMs;
    return r;
  }

  private onWindow(): void {
    const now = performance.now();
    const lateMs = Math.max(0, now - this.lastWindowAt - this.windowMs);
    this.lastWindowAt = now;
    if (this.ticker) return;
    const r = this.read(lateMs + TIMER_SLACK_MS);
    if (r.activeMs > this.busyMs) this.hotUntil = performance.now() + this.hotMs;
    this.update();
  }

  private onTick(): void {
    const now = performance.now();
    const timed = tickStall(now - this.lastTickAt, this.res);
    // The stretch carried in from before arming is a bound, not timed: it counts in the combined figure only.
    this.note(timed + this.armCarryMs);
    if (timed > this.maxTimedMs) this.maxTimedMs = timed;
    this.armCarryMs = 0;
    this.lastTickAt = now;
    if (this.holds === 0 && now >= this.hotUntil) this.update();
  }

  private update(): void {
    const want = this.holds > 0 || performance.now() < this.hotUntil;
    if (want && !this.ticker) {
      this.read();
      this.armCarryMs = this.carryMs;
      this.lastTickAt = performance.now();
      this.ticker = setInterval(() => this.onTick(), this.res);
      this.ticker.unref();
    } else if (!want && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
      // A stall running now began after the last tick; utilization takes over from here.
      const now = performance.now();
      this.carryMs = now - this.lastTickAt + this.armCarryMs;
      this.armCarryMs = 0;
      this.lastElu = performance.eventLoopUtilization();
      this.lastReadAt = now;
    }
  }
}
