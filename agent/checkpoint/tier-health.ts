/**
 * Whether a tier may be tried now: pure, time passed in. An error that means "the tier cannot
 * take data" (disk full, gone, no permission, read-only, I/O error, a stale mount) pauses the
 * tier with a backoff; the next success resumes it. Paused tiers yield `ckpt.tier.unavailable`.
 */
import { capEvidence, type Observation } from '../../core/finding.ts';
import { ckptEntry } from './catalog.ts';

const UNAVAILABLE = new Set([
  'ENOSPC',
  'EDQUOT',
  'ENOENT',
  'EACCES',
  'EPERM',
  'EROFS',
  'EIO',
  'ETIMEDOUT',
  'ENOTCONN',
  'ESTALE',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'ECONNREFUSED',
  'ENOTDIR',
  'CKPT_TIER_UNAVAILABLE',
]);

/** True when the error means the tier cannot take data now (pause and retry), not a bug. */
export function isTierUnavailable(err: unknown): boolean {
  for (
    let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0;
    e && i < 5;
    e = e.cause as typeof e, i++
  ) {
    if (typeof e.code === 'string' && UNAVAILABLE.has(e.code)) return true;
  }
  return false;
}

/** One tier's pause state. */
export class TierHealth {
  private pausedSince: number | undefined;
  private retryAt = 0;
  private failures = 0;
  private reason = '';

  constructor(
    readonly tier: string,
    readonly location: string,
    private readonly retryMs: number,
    private readonly maxRetryMs = retryMs * 16,
  ) {}

  get paused(): boolean {
    return this.pausedSince !== undefined;
  }

  /** May the engine try this tier at `now`? */
  canTry(now: number): boolean {
    return now >= this.retryAt;
  }

  /** The tier failed to take data at `now`. */
  onUnavailable(now: number, reason: string): void {
    this.pausedSince ??= now;
    this.failures++;
    this.reason = reason;
    this.retryAt = now + Math.min(this.maxRetryMs, this.retryMs * 2 ** Math.min(this.failures - 1, 10));
  }

  /** The tier took data: resume. */
  onSuccess(): void {
    this.pausedSince = undefined;
    this.failures = 0;
    this.retryAt = 0;
    this.reason = '';
  }

  /** The observation while paused. */
  observation(now: number): Observation | undefined {
    if (this.pausedSince === undefined) return undefined;
    const e = ckptEntry('ckpt.tier.unavailable');
    return {
      code: e.code,
      component: `ckpt:${this.tier}`,
      severity: e.severity,
      action: e.action,
      kind: e.kind,
      message: `checkpoint tier ${this.tier} (${this.location}) is unavailable since ${Math.round((now - this.pausedSince) / 1000)} s; flushing to it is paused and retries by itself`,
      evidence: capEvidence(this.reason),
    };
  }

  view(): { paused: boolean; since?: number; reason?: string; retryAt?: number } {
    return this.pausedSince === undefined
      ? { paused: false }
      : { paused: true, since: this.pausedSince, reason: this.reason, retryAt: this.retryAt };
  }
}
