import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import { signBody, WebhookNotifier } from './webhook.ts';

describe('WebhookNotifier', () => {
  it('POSTs the event as JSON signed with HMAC-SHA256, retrying a failing receiver', async () => {
    const got: { body: string; sig: string }[] = [];
    let fails = 1;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (fails-- > 0) return void res.writeHead(503).end();
        got.push({ body: Buffer.concat(chunks).toString('utf8'), sig: String(req.headers['x-keelson-signature']) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
    const secret = 'a-webhook-secret-0123';
    const n = new WebhookNotifier({ url, secret, retry: { attempts: 3, initialMs: 1, maxMs: 2 } });
    await n.notify({ type: 'isolate', node: 'gpu01', code: 'gpu.xid.79', at: 5 });
    expect(got).toHaveLength(1);
    const expected = `sha256=${createHmac('sha256', secret).update(got[0]!.body).digest('hex')}`;
    expect(got[0]!.sig).toBe(expected);
    expect(JSON.parse(got[0]!.body)).toEqual({ type: 'isolate', node: 'gpu01', code: 'gpu.xid.79', at: 5 });
    expect(signBody('other-secret', got[0]!.body)).not.toBe(expected);
    fails = 10;
    await expect(n.notify({ type: 'x', at: 1 })).rejects.toSatisfy((e) => isKeelsonError(e, 'ACTUATOR_FAILED'));
    await new Promise<void>((r) => server.close(() => r()));
  });
});
