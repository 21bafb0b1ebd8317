/**
 * The browsers' live feed at /ws/ui: on connect a snapshot of every tile, then one delta per
 * batch window with the tiles that changed. A browser that cannot keep up (its send buffer
 * grows past a limit) is skipped and gets a fresh snapshot once it has drained. Read-only:
 * nothing a browser sends is acted on.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../../core/logger.ts';
import { DirtySet, diffTiles, type UiMessage } from './delta-batch.ts';
import type { Tile } from './tiles.ts';

/** Where the hub reads tiles from. */
export interface TileSource {
  ids(): string[];
  tile(id: string): Tile | undefined;
}

export interface LiveHubOptions {
  source: TileSource;
  log: Logger;
  /** Batch window, ms. */
  batchMs: number;
  /** A browser whose unsent bytes exceed this is skipped until it drains, then resynced. */
  maxBufferedBytes: number;
  /** Ping period; a browser that misses a whole period is dropped. */
  pingMs: number;
  now: () => number;
}

interface Client {
  ws: WebSocket;
  alive: boolean;
  /** Missed at least one delta: needs a full snapshot. */
  stale: boolean;
}

export class UiLiveHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
  private readonly clients = new Set<Client>();
  private readonly dirty = new DirtySet();
  private readonly sent = new Map<string, Tile>();
  private seq = 0;
  private readonly flushTimer: NodeJS.Timeout;
  private readonly pingTimer: NodeJS.Timeout;

  constructor(private readonly o: LiveHubOptions) {
    for (const id of o.source.ids()) {
      const t = o.source.tile(id);
      if (t) this.sent.set(id, t);
    }
    this.flushTimer = setInterval(() => this.flush(), o.batchMs);
    this.flushTimer.unref();
    this.pingTimer = setInterval(() => this.ping(), o.pingMs);
    this.pingTimer.unref();
  }

  /** A node changed; it goes out with the next batch. */
  mark(id: string): void {
    this.dirty.mark(id);
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Take over an HTTP upgrade for /ws/ui. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const c: Client = { ws, alive: true, stale: false };
      this.clients.add(c);
      ws.on('pong', () => {
        c.alive = true;
      });
      ws.on('message', () => {
        c.alive = true;
      });
      ws.on('close', () => this.clients.delete(c));
      ws.on('error', (err) => this.o.log.debug({ err }, 'browser socket error'));
      this.send(c, { type: 'hello', version: 1, batchMs: this.o.batchMs, serverTime: this.o.now() });
      this.sendSnapshot(c);
      this.o.log.debug({ remote: req.socket.remoteAddress, clients: this.clients.size }, 'browser connected');
    });
  }

  /** Send what changed since the last flush. Called by the timer; public for tests. */
  flush(): void {
    if (this.dirty.size === 0 && ![...this.clients].some((c) => c.stale)) return;
    const { upsert, remove } = diffTiles(this.dirty.take(), (id) => this.o.source.tile(id), this.sent);
    const changed = upsert.length > 0 || remove.length > 0;
    if (changed) this.seq += 1;
    let text: string | undefined;
    for (const c of this.clients) {
      if (c.ws.readyState !== WebSocket.OPEN) continue;
      if (c.ws.bufferedAmount > this.o.maxBufferedBytes) {
        c.stale = true;
        continue;
      }
      if (c.stale) {
        this.sendSnapshot(c);
        continue;
      }
      if (!changed) continue;
      text ??= JSON.stringify({
        type: 'delta',
        seq: this.seq,
        serverTime: this.o.now(),
        upsert,
        remove,
      } satisfies UiMessage);
      c.ws.send(text);
    }
  }

  close(): void {
    clearInterval(this.flushTimer);
    clearInterval(this.pingTimer);
    for (const c of this.clients) c.ws.close(1001, 'collector stopping');
    this.wss.close();
  }

  private sendSnapshot(c: Client): void {
    c.stale = false;
    this.send(c, { type: 'snapshot', seq: this.seq, serverTime: this.o.now(), tiles: [...this.sent.values()] });
  }

  private send(c: Client, msg: UiMessage): void {
    if (c.ws.readyState === WebSocket.OPEN) c.ws.send(JSON.stringify(msg));
  }

  private ping(): void {
    for (const c of this.clients) {
      if (!c.alive) {
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }
}
