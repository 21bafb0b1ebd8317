/** A timed GET over a unix socket (the agent's local API), with a deadline. */
import { request } from 'node:http';

export interface TimedResponse {
  status: number;
  body: string;
  /** From sending the request to the last byte of the answer. */
  ms: number;
}

/** GET `path` from the HTTP server listening on `socketPath`. */
export function getOverSocket(socketPath: string, path: string, timeoutMs = 5_000): Promise<TimedResponse> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          ms: performance.now() - t0,
        }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} on ${socketPath} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** The value of an unlabelled gauge in Prometheus text, or undefined. */
export function gaugeValue(metricsText: string, name: string): number | undefined {
  const m = new RegExp(`^${name} ([-+\\d.eE]+|NaN)$`, 'm').exec(metricsText);
  return m ? Number(m[1]) : undefined;
}
