/**
 * The agent's local HTTP API, on a unix socket (and optionally localhost TCP), for training
 * processes and local tools: GET /health, /findings, /metrics.
 */
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from '../core/logger.ts';

/** What the API serves; the daemon supplies it. */
export interface LocalApiSource {
  health(): unknown;
  findings(): unknown;
  /** Training jobs as this node sees them. */
  training(): unknown;
  metrics(): Promise<{ contentType: string; body: string }>;
}

export interface LocalApiOptions {
  socket?: string;
  tcpPort?: number;
  tcpHost: string;
  log: Logger;
  /** Called as a request arrives; what it returns is called once its answer is sent (or the client left). */
  onRequest?: () => () => void;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export class LocalApi {
  private servers: Server[] = [];
  /** The TCP port actually bound, when TCP is enabled. */
  tcpPort?: number;

  constructor(
    private readonly o: LocalApiOptions,
    private readonly src: LocalApiSource,
  ) {}

  async start(): Promise<void> {
    if (this.o.socket) {
      const path = this.o.socket;
      mkdirSync(dirname(path), { recursive: true });
      try {
        if (lstatSync(path).isSocket()) unlinkSync(path);
      } catch {
        // absent: nothing to clean up
      }
      const s = this.server();
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(path, () => resolve());
      });
      chmodSync(path, 0o660);
      this.servers.push(s);
    }
    if (this.o.tcpPort !== undefined) {
      const s = this.server();
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(this.o.tcpPort, this.o.tcpHost, () => resolve());
      });
      this.tcpPort = (s.address() as AddressInfo).port;
      this.servers.push(s);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
    this.servers = [];
  }

  private server(): Server {
    const s = createServer((req, res) => {
      const done = this.o.onRequest?.();
      if (done) res.once('close', done);
      this.handle(req, res).catch((err) => {
        this.o.log.error({ err }, 'local API handler failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.destroy();
      });
    });
    s.headersTimeout = 10_000;
    s.requestTimeout = 30_000;
    return s;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return sendJson(res, 405, { error: 'method not allowed' });
    switch (path) {
      case '/health':
        return sendJson(res, 200, this.src.health());
      case '/findings':
        return sendJson(res, 200, this.src.findings());
      case '/training':
        return sendJson(res, 200, this.src.training());
      case '/metrics': {
        const m = await this.src.metrics();
        res.writeHead(200, { 'content-type': m.contentType });
        res.end(m.body);
        return;
      }
      default:
        return sendJson(res, 404, { error: `no route ${path}` });
    }
  }
}
