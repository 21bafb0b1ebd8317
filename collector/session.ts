/**
 * One agent's WebSocket session at the collector: hello first, then sequenced messages
 * applied exactly once and acknowledged, heartbeats both ways. Any bad frame gets an error
 * message naming its code and a closed connection; nothing here can crash the collector.
 */
import type WebSocket from 'ws';
import type { Clock } from '../core/clock.ts';
import { describeError, type ErrorCode, isKeelsonError, KeelsonError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { closeCodeFor } from '../protocol/close-codes.ts';
import { decodeAgentMessage, encodeMessage } from '../protocol/codec.ts';
import type { AgentMessage, CollectorMessage } from '../protocol/messages.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';
import type { ApplyBatcher } from './apply-batcher.ts';
import type { Fleet } from './fleet.ts';
import type { CollectorMetrics } from './metrics.ts';

export const COLLECTOR_VERSION = '0.1.0';

export interface SessionOptions {
  maxPayloadBytes: number;
  heartbeatMs: number;
  deadPeerMs: number;
  helloTimeoutMs: number;
  /** Announced in welcome. */
  capabilities: string[];
}

export class AgentSession {
  nodeId?: string;
  private lastHeard: number;
  /** When the collector last sent this agent anything (a heartbeat is due only after a silence). */
  private lastSent = 0;
  private timer: NodeJS.Timeout;
  private helloTimer?: NodeJS.Timeout;
  private closed = false;
  /** The highest seq committed and not yet acknowledged, and whether an ack is already due this turn. */
  private ackSeq = 0;
  private ackDue = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly o: SessionOptions,
    private readonly fleet: Fleet,
    private readonly batcher: ApplyBatcher,
    private readonly metrics: CollectorMetrics,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Called once the node is known, so an older session for it can be replaced. */
    private readonly onIdentified: (s: AgentSession) => void,
    /** Called once when the socket closes, with the close code (1000 = the agent stopped on purpose). */
    private readonly onClosed: (s: AgentSession, code: number) => void,
  ) {
    this.lastHeard = clock.now();
    ws.on('message', (data, isBinary) => this.onFrame(data as Buffer, isBinary));
    ws.on('close', (code) => this.onClose(code));
    ws.on('error', (err) => this.log.debug({ err: describeError(err), node: this.nodeId }, 'agent socket error'));
    this.helloTimer = setTimeout(() => this.fail('PROTO_ORDER', 'no hello within the hello timeout'), o.helloTimeoutMs);
    this.timer = setInterval(() => this.beat(), o.heartbeatMs);
    this.timer.unref();
  }

  /** Close this session because a newer one for the same node replaced it. */
  supersede(): void {
    this.send({
      v: PROTOCOL_VERSION,
      ts: this.clock.now(),
      type: 'error',
      code: 'SUPERSEDED',
      message: 'a newer session for this node replaced this one',
    });
    this.ws.close(4409, 'superseded');
  }

  /** Send a message to the agent (commands). */
  send(msg: CollectorMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(encodeMessage(msg), { binary: true });
    this.lastSent = this.clock.now();
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    this.lastHeard = this.clock.now();
    try {
      if (!isBinary) throw new KeelsonError('PROTO_NOT_TEXT', 'text frames are not accepted; send binary msgpack');
      const msg = decodeAgentMessage(data, this.o.maxPayloadBytes);
      this.metrics.frames.inc({ type: msg.type });
      this.handle(msg);
    } catch (err) {
      if (isKeelsonError(err)) this.fail(err.code, err.message);
      else {
        this.log.error({ err, node: this.nodeId }, 'failed to handle an agent message');
        this.fail('STORE_IO', 'the collector could not store this message');
      }
    }
  }

  private handle(msg: AgentMessage): void {
    const now = this.clock.now();
    if (msg.type === 'hello') {
      if (this.nodeId) throw new KeelsonError('PROTO_ORDER', 'hello sent twice');
      clearTimeout(this.helloTimer);
      this.nodeId = msg.nodeId;
      this.onIdentified(this);
      const lastSeq = this.fleet.hello(msg, now, (err) => {
        this.log.error({ err, node: msg.nodeId }, 'failed to store an agent hello');
        this.fail('STORE_IO', 'the collector could not store this hello');
      });
      this.log.info({ node: msg.nodeId, epoch: msg.epoch, lastSeq }, 'agent session established');
      this.send({
        v: PROTOCOL_VERSION,
        ts: now,
        type: 'welcome',
        collectorVersion: COLLECTOR_VERSION,
        lastSeq,
        heartbeatMs: this.o.heartbeatMs,
        capabilities: this.o.capabilities,
      });
      return;
    }
    if (!this.nodeId) throw new KeelsonError('PROTO_ORDER', `${msg.type} sent before hello`);
    this.fleet.touch(this.nodeId, now);
    if (msg.type === 'heartbeat') return;
    if (msg.type === 'training') {
      this.fleet.ingestTraining(this.nodeId, msg, now);
      return;
    }
    if (msg.type === 'ckpt-state') {
      this.fleet.ingestCheckpointState(this.nodeId, msg.state, now);
      return;
    }
    // Applied with the other messages of this event-loop turn in one commit, then acknowledged:
    // one cumulative ack per session for all of its messages that commit together.
    this.batcher.submit(this.nodeId, msg, now, (o) => {
      if (!o.ok) {
        this.sendAck();
        this.log.error({ err: o.error, node: this.nodeId, seq: msg.seq }, 'failed to store an agent message');
        this.fail('STORE_IO', 'the collector could not store this message');
        return;
      }
      if (!o.fresh) this.metrics.duplicates.inc();
      if (msg.seq > this.ackSeq) this.ackSeq = msg.seq;
      if (!this.ackDue) {
        this.ackDue = true;
        // The batch calls every `done` of its commit synchronously: the ack goes out right after.
        queueMicrotask(() => this.sendAck());
      }
    });
  }

  /** Acknowledge everything committed so far (cumulative), if anything is waiting for it. */
  private sendAck(): void {
    if (!this.ackDue) return;
    this.ackDue = false;
    if (!this.closed) this.send({ v: PROTOCOL_VERSION, ts: this.clock.now(), type: 'ack', seq: this.ackSeq });
  }

  private beat(): void {
    if (this.clock.now() - this.lastHeard > this.o.deadPeerMs) {
      this.log.warn({ node: this.nodeId }, 'agent is silent; dropping the session');
      this.metrics.rejected.inc({ code: 'PEER_TIMEOUT' });
      this.ws.terminate();
      return;
    }
    // Any frame proves the collector alive to the agent: an ack sent within the interval is the
    // heartbeat (at 10,000 agents acking every second this saves 2,000 writes a second).
    if (this.clock.now() - this.lastSent < this.o.heartbeatMs) return;
    this.send({ v: PROTOCOL_VERSION, ts: this.clock.now(), type: 'heartbeat' });
  }

  private fail(code: ErrorCode | 'SUPERSEDED', message: string): void {
    if (this.closed) return;
    this.metrics.rejected.inc({ code });
    this.log.warn({ node: this.nodeId, code, message }, 'refusing an agent frame; closing');
    this.send({ v: PROTOCOL_VERSION, ts: this.clock.now(), type: 'error', code, message: message.slice(0, 2000) });
    this.ws.close(closeCodeFor(code), `${code}: ${message}`.slice(0, 120));
    this.closed = true;
    // A peer that ignores the close handshake is cut off.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  private onClose(code: number): void {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.helloTimer);
    this.onClosed(this, code);
  }
}
