/**
 * Alertmanager API v2 client: POST /api/v2/alerts with a timeout, retried with backoff;
 * ALERTMANAGER_FAILED when it will not take them.
 */
import { KeelsonError } from '../../core/errors.ts';
import { DEFAULT_RETRY, type RetryOptions, withRetry } from '../actuators/retry.ts';
import type { AmAlert } from './alert-tracker.ts';

export interface AlertmanagerOptions {
  /** Base URL, e.g. http://alertmanager:9093 */
  url: string;
  timeoutMs?: number;
  retry?: RetryOptions;
  /** Optional bearer token for an authenticating proxy in front of Alertmanager. */
  token?: string;
}

export class AlertmanagerClient {
  constructor(private readonly opts: AlertmanagerOptions) {}

  async post(alerts: readonly AmAlert[]): Promise<void> {
    if (alerts.length === 0) return;
    const url = new URL('/api/v2/alerts', this.opts.url).toString();
    const body = JSON.stringify(alerts);
    await withRetry(async () => {
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}),
          },
          body,
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5_000),
        });
      } catch (err) {
        throw new KeelsonError('ALERTMANAGER_FAILED', `POST ${url}: ${(err as Error).message}`, { cause: err });
      }
      const text = await res.text().catch(() => '');
      if (!res.ok)
        throw new KeelsonError('ALERTMANAGER_FAILED', `POST ${url}: HTTP ${res.status} ${text.slice(0, 300)}`);
    }, this.opts.retry ?? DEFAULT_RETRY);
  }
}
