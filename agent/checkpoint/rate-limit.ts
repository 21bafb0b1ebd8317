/**
 * A token bucket for the flush bandwidth cap: pure, time passed in. `delayMs` says how long to
 * wait before moving `bytes` so the long-run rate stays under `bytesPerSec`.
 */
export class RateLimiter {
  private tokens: number;
  private last: number | undefined;

  /** `bytesPerSec` 0 means unlimited; `burstBytes` is the bucket size. */
  constructor(
    private readonly bytesPerSec: number,
    private readonly burstBytes = Math.max(bytesPerSec / 4, 1 << 20),
  ) {
    this.tokens = this.burstBytes;
  }

  /** Take `bytes` at time `now` (ms); returns the wait in ms before they may be written. */
  take(now: number, bytes: number): number {
    if (this.bytesPerSec <= 0) return 0;
    if (this.last !== undefined) {
      this.tokens = Math.min(this.burstBytes, this.tokens + ((now - this.last) * this.bytesPerSec) / 1000);
    }
    this.last = now;
    this.tokens -= bytes;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.bytesPerSec;
  }
}
