/**
 * The simulated ranks' side of one node's agent: one unix-socket connection per rank to the
 * agent's training socket, writing NDJSON lines in order (as the Python client does), a count
 * of the lines written, and a wait until the agent has taken them all — read from the agent's
 * own ingest counter on its local API (`GET /training`), so a test with a manual clock knows
 * every report was received at the time it set.
 */
import { request } from 'node:http';
import { createConnection, type Socket } from 'node:net';
import { KeelsonError } from '../core/errors.ts';

/** Where one simulated node's agent listens. */
export interface SimNodeSockets {
  node: string;
  /** The agent's training ingest socket (`training.socket`). */
  trainSocket: string;
  /** The agent's local API socket (`api.socket`). */
  apiSocket: string;
}

/** GET a JSON document from the agent's local API over its unix socket. */
export function localApiGet<T>(socketPath: string, path: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T);
        } catch (err) {
          reject(err);
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new KeelsonError('PEER_TIMEOUT', `local API ${path} did not answer`)));
    req.on('error', reject);
    req.end();
  });
}

export class NodeFeed {
  private readonly links = new Map<number, Socket>();
  /** Lines written to this node's agent since the feed was made. */
  sent = 0;
  private base: number | undefined;

  constructor(readonly sockets: SimNodeSockets) {}

  /** Write one line as rank `rank` (its own connection, opened on first use). */
  send(rank: number, line: string): void {
    let s = this.links.get(rank);
    if (!s || s.destroyed) {
      s = createConnection(this.sockets.trainSocket);
      // A dropped report is what a real client does too; the wait below then times out and says so.
      s.on('error', () => s?.destroy());
      this.links.set(rank, s);
    }
    s.write(line);
    this.sent += 1;
  }

  /** Close one rank's connection (its process is gone). */
  closeRank(rank: number): void {
    this.links.get(rank)?.end();
    this.links.delete(rank);
  }

  /** The agent's count of accepted training lines. */
  async accepted(): Promise<number> {
    const v = await localApiGet<{ ingest?: { accepted: number } }>(this.sockets.apiSocket, '/training');
    return v.ingest?.accepted ?? 0;
  }

  /** Remember the agent's count before this feed writes anything. */
  async init(): Promise<void> {
    if (this.base === undefined) this.base = (await this.accepted()) - this.sent;
  }

  /** Resolve once the agent has accepted every line written so far (polls its local API). */
  async received(timeoutMs = 10_000): Promise<void> {
    const want = (this.base ?? 0) + this.sent;
    let waited = 0;
    for (let pause = 2; ; pause = Math.min(50, pause * 2)) {
      const got = await this.accepted();
      if (got >= want) return;
      if (waited >= timeoutMs) {
        // Lines were lost (a connection broke): count from here, so later waits are not all late.
        const lost = want - got;
        this.base = (this.base ?? 0) - lost;
        throw new KeelsonError(
          'PEER_TIMEOUT',
          `${this.sockets.node}'s agent did not receive ${lost} training line(s) within ${timeoutMs} ms`,
        );
      }
      await new Promise((r) => setTimeout(r, pause));
      waited += pause;
    }
  }

  /** Close every connection. */
  close(): void {
    for (const s of this.links.values()) s.end();
    this.links.clear();
  }
}
