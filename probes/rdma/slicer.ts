/**
 * Cooperative time slicing for synchronous I/O loops: `due()` says when the current slice has used
 * its budget, `yield()` lets the event loop run (timers, sockets) and starts a new slice. The rdma
 * reader uses it so a node with many HCAs never holds the loop for more than a few ms at once.
 */

/** What a slicer needs: a monotonic clock in ms and a way to let the event loop turn. */
export interface SlicerDeps {
  now: () => number;
  yieldToLoop: () => Promise<void>;
}

const LIVE: SlicerDeps = {
  now: () => performance.now(),
  yieldToLoop: () => new Promise<void>((resolve) => setImmediate(resolve)),
};

/** Default budget of one synchronous slice, in ms. */
export const SLICE_BUDGET_MS = 3;

/** Splits a synchronous loop into slices of at most `budgetMs` (plus the one step that crosses it). */
export class TimeSlicer {
  private started: number;
  private yields = 0;

  constructor(
    private readonly budgetMs = SLICE_BUDGET_MS,
    private readonly deps: SlicerDeps = LIVE,
  ) {
    this.started = deps.now();
  }

  /** True when the current slice has run for `budgetMs` or more. */
  due(): boolean {
    return this.deps.now() - this.started >= this.budgetMs;
  }

  /** Let the event loop run, then start a new slice. */
  async yield(): Promise<void> {
    this.yields++;
    await this.deps.yieldToLoop();
    this.started = this.deps.now();
  }

  /** Yield only when the current slice is used up. */
  async maybeYield(): Promise<void> {
    if (this.due()) await this.yield();
  }

  /** How many times this slicer has yielded (for tests and debugging). */
  get yieldCount(): number {
    return this.yields;
  }
}
