/**
 * The agent's end of the stream: connects to the collector, says hello, replays what the
 * collector has not stored, sends new messages as they come, and processes acks. Heartbeats
 * both ways; a silent peer is dropped; reconnects back off exponentially with jitter.
 */
import WebSocket from 'ws';
import { backoffDelay } from '../core/backoff.ts';
import type { Clock } from '../core/clock.ts';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { decodeCollectorMessage, encodeMessage } from '../protocol/codec.ts';
import type { AgentMessage, CkptCommittedMsg, Command, Hello, SequencedMessage } from '../protocol/messages.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';
import type { Outbox } from './outbox.ts';

export interface CollectorLinkOptions {
  url: string;
  token?: string;
  ca?: Buffer;
  heartbeatMs: number;
  deadPeerMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  maxPayloadBytes: number;
  /** The node's identity for hello (the outbox supplies epoch and last acked seq). */
  identity: Pick<Hello, 'nodeId' | 'hostname' | 'labels' | 'agentVersion' | 'capabilities' | 'bootId'>;
  outbox: Outbox;
  clock: Clock;
  log: Logger;
  onCommand: (cmd: Command) => void;
  /** The collector committed a checkpoint step. */
  onCheckpointCommitted?: (msg: CkptCommittedMsg) => void;
  onConnectedChange?: (connected: boolean) => void;
  onReconnect?: () => void;
}

type LinkState = 'idle' | 'connecting' | 'handshaking' | 'ready' | 'waiting' | 'stopped';

export class CollectorLink {
  private ws?: WebSocket;
  private state: LinkState = 'idle';
  private attempt = 0;
  private retryTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  private lastHeard = 0;
  private drainWaiters: (() => void)[] = [];
  /** What the collector said it does (welcome), e.g. `ckpt-commit`. */
  collectorCapabilities: readonly string[] = [];

  constructor(private readonly o: CollectorLinkOptions) {}

  /** Start connecting; returns at once. */
  start(): void {
    if (this.state !== 'idle') return;
    this.connect();
  }

  get connected(): boolean {
    return this.state === 'ready';
  }

  /** Send a message that is not kept for replay (a training summary); dropped when no session is up. */
  sendEphemeral(msg: AgentMessage): void {
    if (this.state === 'ready') this.write(msg);
  }

  /** Send a message the outbox has just numbered, if a session is up (else it waits for replay). */
  send(msg: SequencedMessage): void {
    if (this.state === 'ready') this.write(msg);
  }

  /**
   * Stop: wait up to `flushMs` for the collector to acknowledge everything pending, then close.
   * Returns whether the outbox was drained.
   */
  async stop(flushMs: number): Promise<boolean> {
    let drained = this.o.outbox.size === 0;
    if (!drained && this.state === 'ready' && flushMs > 0) {
      drained = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), flushMs);
        this.drainWaiters.push(() => {
          clearTimeout(t);
          resolve(true);
        });
      });
    }
    this.state = 'stopped';
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeatTimer);
    const ws = this.ws;
    if (ws && ws.readyState === WebSocket.OPEN) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          ws.terminate();
          resolve();
        }, 1000);
        ws.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        ws.close(1000, 'agent stopping');
      });
    } else {
      ws?.terminate();
    }
    return drained;
  }

  private connect(): void {
    if (this.state === 'stopped') return;
    this.state = 'connecting';
    const headers: Record<string, string> = {};
    if (this.o.token) headers.authorization = `Bearer ${this.o.token}`;
    const ws = new WebSocket(this.o.url, {
      headers,
      maxPayload: this.o.maxPayloadBytes,
      handshakeTimeout: Math.max(1000, this.o.deadPeerMs),
      perMessageDeflate: false,
      ...(this.o.ca ? { ca: this.o.ca } : {}),
    });
    this.ws = ws;
    ws.binaryType = 'nodebuffer';
    ws.on('open', () => {
      this.state = 'handshaking';
      this.lastHeard = this.o.clock.now();
      this.startHeartbeat();
      this.write({
        v: PROTOCOL_VERSION,
        ts: this.o.clock.now(),
        type: 'hello',
        ...this.o.identity,
        epoch: this.o.outbox.epoch,
        lastAckedSeq: this.o.outbox.ackedSeq,
      });
    });
    ws.on('message', (data, isBinary) => this.onFrame(data as Buffer, isBinary));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        if (body.length < 2048) body += c.toString('utf8');
      });
      res.on('end', () => {
        this.o.log.error({ status: res.statusCode, body: body.slice(0, 512) }, 'collector refused the connection');
        ws.terminate();
      });
    });
    ws.on('error', (err) => this.o.log.debug({ err: describeError(err) }, 'collector connection error'));
    ws.on('close', (code, reason) => this.onClose(ws, code, reason.toString('utf8')));
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    this.lastHeard = this.o.clock.now();
    if (!isBinary) {
      this.o.log.warn('collector sent a text frame; ignored');
      return;
    }
    let msg: ReturnType<typeof decodeCollectorMessage>;
    try {
      msg = decodeCollectorMessage(data, this.o.maxPayloadBytes);
    } catch (err) {
      this.o.log.error({ err: describeError(err) }, 'collector sent an invalid frame; reconnecting');
      this.ws?.terminate();
      return;
    }
    switch (msg.type) {
      case 'welcome': {
        this.o.outbox.ack(msg.lastSeq);
        this.collectorCapabilities = msg.capabilities ?? [];
        this.state = 'ready';
        this.attempt = 0;
        // Replay before anything new is sent: the collector drops any seq at or below the highest it stored.
        const pending = this.o.outbox.pending();
        this.o.log.info({ replay: pending.length, lastSeq: msg.lastSeq }, 'session with collector established');
        for (const m of pending) this.write(m);
        this.o.onConnectedChange?.(true);
        this.checkDrained();
        break;
      }
      case 'ack':
        this.o.outbox.ack(msg.seq);
        this.checkDrained();
        break;
      case 'heartbeat':
        break;
      case 'command':
        this.o.onCommand(msg);
        break;
      case 'ckpt-committed':
        this.o.onCheckpointCommitted?.(msg);
        break;
      case 'error':
        this.o.log.error({ code: msg.code, message: msg.message }, 'collector reported an error');
        break;
    }
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.ws) return;
    const wasReady = this.state === 'ready';
    clearInterval(this.heartbeatTimer);
    if (wasReady) this.o.onConnectedChange?.(false);
    if (this.state === 'stopped') return;
    const delay = backoffDelay(this.attempt++, this.o.backoffInitialMs, this.o.backoffMaxMs, Math.random());
    this.o.log.warn({ code, reason, retryInMs: delay }, 'collector connection closed');
    this.state = 'waiting';
    this.retryTimer = setTimeout(() => {
      this.o.onReconnect?.();
      this.connect();
    }, delay);
  }

  private startHeartbeat(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = setInterval(() => {
      const ws = this.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) return;
      if (this.o.clock.now() - this.lastHeard > this.o.deadPeerMs) {
        this.o.log.warn(
          { silentMs: this.o.clock.now() - this.lastHeard },
          'collector is silent; dropping the connection',
        );
        ws.terminate();
        return;
      }
      this.write({ v: PROTOCOL_VERSION, ts: this.o.clock.now(), type: 'heartbeat' });
    }, this.o.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  private write(msg: AgentMessage): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(encodeMessage(msg), { binary: true });
  }

  private checkDrained(): void {
    if (this.o.outbox.size > 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}
