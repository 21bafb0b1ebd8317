import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.ts';
import { silentLogger } from '../core/logger.ts';
import { decodeCollectorMessage, encodeMessage } from '../protocol/codec.ts';
import type { AgentMessage, CollectorMessage } from '../protocol/messages.ts';
import { ApplyBatcher } from './apply-batcher.ts';
import { Fleet } from './fleet.ts';
import { CollectorMetrics } from './metrics.ts';
import { AgentSession } from './session.ts';
import { Store } from './store.ts';

/** Just enough of a ws WebSocket: frames in as 'message' events, frames out recorded decoded. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  sent: CollectorMessage[] = [];
  closedWith?: number;
  send(data: Buffer): void {
    this.sent.push(decodeCollectorMessage(data));
  }
  close(code: number): void {
    this.readyState = 2;
    this.closedWith = code;
  }
  terminate(): void {
    this.readyState = 3;
  }
  frame(msg: AgentMessage): void {
    this.emit('message', encodeMessage(msg), true);
  }
}

const log = silentLogger();
const settle = () => new Promise((r) => setImmediate(r));
const metrics = (seq: number): AgentMessage => ({ v: 1, ts: seq, type: 'metrics', seq, samples: [] });

function connect(heartbeatMs = 60_000, clock = new ManualClock(1000)) {
  const store = new Store(':memory:');
  const fleet = new Fleet(store, log);
  const batcher = new ApplyBatcher(store, fleet, log);
  const ws = new FakeSocket();
  const session = new AgentSession(
    ws as never,
    { maxPayloadBytes: 1 << 20, heartbeatMs, deadPeerMs: 120_000, helloTimeoutMs: 60_000, capabilities: [] },
    fleet,
    batcher,
    new CollectorMetrics(fleet),
    clock,
    log,
    () => {},
    () => {},
  );
  ws.frame({
    v: 1,
    ts: 1,
    type: 'hello',
    nodeId: 'n1',
    hostname: 'n1',
    labels: {},
    agentVersion: 't',
    capabilities: [],
    epoch: 'e',
    lastAckedSeq: 0,
  });
  return { fleet, batcher, ws, session };
}

describe('AgentSession heartbeats', () => {
  it('sends a heartbeat only after a silence: an ack within the interval stands for it', async () => {
    const clock = new ManualClock(1000);
    const { ws, session } = connect(50, clock);
    const beats = () => ws.sent.filter((m) => m.type === 'heartbeat').length;
    ws.frame(metrics(1));
    await settle(); // welcome and the ack went out at t=1000
    clock.advance(30);
    await new Promise((r) => setTimeout(r, 120)); // the timer fires; 30 ms since the ack
    expect(beats()).toBe(0);
    clock.advance(100);
    await new Promise((r) => setTimeout(r, 120));
    expect(beats()).toBeGreaterThan(0);
    session.supersede();
  });
});

describe('AgentSession acknowledgements', () => {
  it('acknowledges only after the commit, once per commit, cumulatively', async () => {
    const { ws } = connect();
    expect(ws.sent.map((m) => m.type)).toEqual(['welcome']);
    for (const seq of [1, 2, 3]) ws.frame(metrics(seq));
    expect(ws.sent.map((m) => m.type)).toEqual(['welcome']); // nothing before the commit
    await settle();
    expect(ws.sent.slice(1)).toEqual([{ v: 1, ts: 1000, type: 'ack', seq: 3 }]);
    ws.frame(metrics(2)); // a replay: acknowledged (cumulatively, everything up to 3 is stored)
    ws.frame(metrics(4));
    await settle();
    expect(ws.sent.slice(2)).toEqual([{ v: 1, ts: 1000, type: 'ack', seq: 4 }]);
  });

  it('acknowledges what committed before refusing a message that could not be stored', async () => {
    const { ws, fleet } = connect();
    const apply = fleet.apply.bind(fleet);
    fleet.apply = (node, msg, now) => {
      if (msg.seq === 3) throw new Error('disk full');
      return apply(node, msg, now);
    };
    for (const seq of [1, 2, 3, 4]) ws.frame(metrics(seq));
    await settle();
    expect(ws.sent.slice(1).map((m) => (m.type === 'ack' ? `ack ${m.seq}` : m.type))).toEqual(['ack 2', 'error']);
    expect(ws.closedWith).toBeDefined();
  });

  it('refuses a malformed metrics frame with the same code as before the fast path', () => {
    const { ws } = connect();
    ws.frame({ ...metrics(1), samples: [{ name: 'x', value: Number.NaN }] } as AgentMessage);
    expect(ws.sent.at(-1)).toMatchObject({ type: 'error', code: 'PROTO_INVALID' });
    expect((ws.sent.at(-1) as { message: string }).message).toMatch(/^metrics: samples\.0\.value: /);
  });
});
