/**
 * Retries an actuator call with exponential backoff and jitter (core/backoff). Errors that
 * retrying cannot fix (a refusal, a missing command) are thrown at once.
 */
import { backoffDelay } from '../../core/backoff.ts';
import { isKeelsonError } from '../../core/errors.ts';

export interface RetryOptions {
  attempts: number;
  initialMs: number;
  maxMs: number;
  /** Tests pass a no-op; defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** False for errors not worth retrying; by default refusals and missing commands. */
  retryable?: (err: unknown) => boolean;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 4, initialMs: 200, maxMs: 3_000 };

const notRetryable = (err: unknown) =>
  isKeelsonError(err, 'ISOLATION_REFUSED') || isKeelsonError(err, 'CMD_MISSING') || isKeelsonError(err, 'NOT_FOUND');

/** Call `fn` until it resolves or the attempts run out; the last error is thrown. */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  opts: RetryOptions = DEFAULT_RETRY,
): Promise<T> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const retryable = opts.retryable ?? ((e: unknown) => !notRetryable(e));
  let last: unknown;
  for (let attempt = 0; attempt < Math.max(1, opts.attempts); attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      last = err;
      if (!retryable(err) || attempt === opts.attempts - 1) break;
      await sleep(backoffDelay(attempt, opts.initialMs, opts.maxMs, (opts.random ?? Math.random)()));
    }
  }
  throw last;
}
