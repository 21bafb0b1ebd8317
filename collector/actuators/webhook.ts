/**
 * The webhook notifier: every isolation event as a JSON POST signed with HMAC-SHA256 over the
 * body (`X-Keelson-Signature: sha256=<hex>`, `X-Keelson-Timestamp`), retried with backoff.
 */
import { createHmac } from 'node:crypto';
import { KeelsonError } from '../../core/errors.ts';
import { DEFAULT_RETRY, type RetryOptions, withRetry } from './retry.ts';
import type { IsolationEvent, IsolationNotifier } from './types.ts';

export interface WebhookOptions {
  url: string;
  secret: string;
  timeoutMs?: number;
  retry?: RetryOptions;
}

/** The signature header value for a body and secret. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export class WebhookNotifier implements IsolationNotifier {
  readonly name = 'webhook';
  constructor(private readonly opts: WebhookOptions) {}

  async notify(event: IsolationEvent): Promise<void> {
    const body = JSON.stringify(event);
    await withRetry(async () => {
      let res: Response;
      try {
        res = await fetch(this.opts.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-keelson-signature': signBody(this.opts.secret, body),
            'x-keelson-timestamp': String(event.at),
          },
          body,
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5_000),
        });
      } catch (err) {
        throw new KeelsonError('ACTUATOR_FAILED', `webhook ${this.opts.url}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw new KeelsonError('ACTUATOR_FAILED', `webhook ${this.opts.url} answered HTTP ${res.status}`);
    }, this.opts.retry ?? DEFAULT_RETRY);
  }
}
