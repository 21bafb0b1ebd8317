/**
 * A worker thread simulating many agents against a collector over real WebSocket connections:
 * each says hello, then sends one sequenced `metrics` message a second (real codec, at a random
 * phase), and times every message from send to the collector's cumulative ack.
 * Driven by the main thread: `connect` → `measure` → `stop`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';
import { decodeCollectorMessage, encodeMessage } from '../../protocol/codec.ts';
import type { MetricsMsg } from '../../protocol/messages.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';

export interface SwarmWorkerData {
  url: string;
  token: string;
  first: number;
  count: number;
  /** New connections per second while ramping up. */
  rampPerSec: number;
  /** Give up waiting for the rest of the welcomes after this long; the bench reports how many made it. */
  connectDeadlineMs: number;
}

/** What the worker posts back when stopped. */
export interface SwarmResult {
  latencies: Float64Array;
  sent: number;
  acked: number;
  connected: number;
  errors: string[];
  /** Longest gap between two of this worker's 10 ms ticks: how late its own sends could be. */
  maxTickGapMs: number;
}

interface SimAgent {
  id: string;
  ws: WebSocket;
  phase: number;
  seq: number;
  ready: boolean;
  /** seq → send time (performance.now()), oldest first. */
  inFlight: Map<number, number>;
}

const d = workerData as SwarmWorkerData;
const port = parentPort!;
const agents: SimAgent[] = [];
const slots: SimAgent[][] = Array.from({ length: 100 }, () => []);
const errors: string[] = [];
let latencies: number[] = [];
let measuring = false;
let measureFrom = 0;
let sent = 0;
let acked = 0;
let maxTickGapMs = 0;

const samples = Array.from({ length: 8 }, (_, gpu) => [
  { name: 'gpu_temperature_celsius', value: 41 + gpu, labels: { gpu: String(gpu) } },
  { name: 'gpu_power_draw_watts', value: 312.5, labels: { gpu: String(gpu) } },
  { name: 'gpu_utilization_ratio', value: 0.97, labels: { gpu: String(gpu) } },
  { name: 'gpu_ecc_sbe_volatile_total', value: 0, labels: { gpu: String(gpu) } },
]).flat();

/**
 * The same frame encodeMessage(metricsMessage(seq)) gives, built from the parts that change (ts,
 * seq, probe) and the bytes of the samples encoded once: a msgpack map is its header and its
 * key/value encodings in a row. Encoding the 32 samples for every send was most of the load
 * generator's CPU, which shares this machine's two cores with the collector it measures.
 */
const SAMPLES_ENTRY = Buffer.concat([encodeMessage('samples' as never), encodeMessage(samples as never)]);
const FIXED_HEAD = Buffer.concat([
  Buffer.from([0xde, 0x00, 0x06]), // map16 of 6 entries (msgpackr's form): v, ts, type, seq, probe, samples
  encodeMessage('v' as never),
  encodeMessage(PROTOCOL_VERSION as never),
]);
const KEYS = {
  ts: encodeMessage('ts' as never),
  type: Buffer.concat([encodeMessage('type' as never), encodeMessage('metrics' as never)]),
  seq: encodeMessage('seq' as never),
  probe: encodeMessage('probe' as never),
};

function metricsFrame(m: MetricsMsg): Buffer {
  return Buffer.concat([
    FIXED_HEAD,
    KEYS.ts,
    encodeMessage(m.ts as never),
    KEYS.type,
    KEYS.seq,
    encodeMessage(m.seq as never),
    KEYS.probe,
    encodeMessage(m.probe as never),
    SAMPLES_ENTRY,
  ]);
}

function metricsMessage(seq: number): MetricsMsg {
  const now = Date.now();
  return {
    v: PROTOCOL_VERSION,
    ts: now,
    type: 'metrics',
    seq,
    probe: { name: 'gpu', status: 'ok', lastRun: now - 40, durationMs: 38.2 },
    samples,
  };
}

function noteError(text: string): void {
  if (errors.length < 20) errors.push(text);
}

function connect(i: number): Promise<void> {
  const id = `sim-${String(d.first + i).padStart(5, '0')}`;
  return new Promise((resolve) => {
    const ws = new WebSocket(d.url, {
      headers: { authorization: `Bearer ${d.token}` },
      perMessageDeflate: false,
      handshakeTimeout: Math.max(1000, d.connectDeadlineMs),
    });
    const a: SimAgent = { id, ws, phase: Math.floor(Math.random() * 100), seq: 0, ready: false, inFlight: new Map() };
    ws.binaryType = 'nodebuffer';
    ws.on('open', () => {
      ws.send(
        encodeMessage({
          v: PROTOCOL_VERSION,
          ts: Date.now(),
          type: 'hello',
          nodeId: id,
          hostname: id,
          labels: { rack: `r${(d.first + i) % 64}` },
          agentVersion: '0.1.0-bench',
          capabilities: [],
          epoch: `bench-${process.pid}-${d.first + i}`,
          lastAckedSeq: 0,
        }),
      );
    });
    ws.on('message', (data: Buffer) => {
      const msg = decodeCollectorMessage(data);
      if (msg.type === 'welcome') {
        a.seq = msg.lastSeq;
        a.ready = true;
        agents.push(a);
        slots[a.phase]!.push(a);
        resolve();
      } else if (msg.type === 'ack') {
        const now = performance.now();
        for (const [seq, at] of a.inFlight) {
          if (seq > msg.seq) break;
          a.inFlight.delete(seq);
          acked++;
          if (measuring && at >= measureFrom) latencies.push(now - at);
        }
      } else if (msg.type === 'error') noteError(`${id}: ${msg.code} ${msg.message}`);
    });
    ws.on('error', (err) => {
      noteError(`${id}: ${err.message}`);
      resolve();
    });
    ws.on('close', (code) => {
      if (a.ready && code !== 1000 && code !== 1005) noteError(`${id}: closed ${code}`);
      a.ready = false;
      resolve();
    });
  });
}

function send(a: SimAgent): void {
  if (!a.ready || a.ws.readyState !== WebSocket.OPEN) return;
  a.seq++;
  a.inFlight.set(a.seq, performance.now());
  a.ws.send(metricsFrame(metricsMessage(a.seq)));
  sent++;
}

let lastSlot = -1;
let lastTick = performance.now();
const ticker = setInterval(() => {
  const now = performance.now();
  maxTickGapMs = Math.max(maxTickGapMs, now - lastTick);
  lastTick = now;
  const slot = Math.floor((Date.now() % 1000) / 10);
  if (lastSlot < 0) lastSlot = (slot + 99) % 100;
  if (slot === lastSlot) return;
  // every slot passed since the last tick, so a late tick still sends each agent once a second
  for (let s = (lastSlot + 1) % 100; ; s = (s + 1) % 100) {
    for (const a of slots[s]!) send(a);
    if (s === slot) break;
  }
  lastSlot = slot;
}, 10);

// The prebuilt frame must be byte for byte what the codec would send.
for (const seq of [1, 200, 70_000, 2 ** 32 + 5]) {
  const m = metricsMessage(seq);
  if (!metricsFrame(m).equals(encodeMessage(m)))
    throw new Error(`swarm: the prebuilt frame for seq ${seq} differs from the codec`);
}

port.on('message', async (m: { type: string }) => {
  if (m.type === 'connect') {
    const gap = 1000 / d.rampPerSec;
    const pending: Promise<void>[] = [];
    const t0 = performance.now();
    for (let i = 0; i < d.count && performance.now() - t0 < d.connectDeadlineMs; i++) {
      const due = t0 + i * gap;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      pending.push(connect(i));
    }
    const deadline = new Promise((r) => setTimeout(r, Math.max(0, t0 + d.connectDeadlineMs - performance.now())));
    await Promise.race([Promise.all(pending), deadline]);
    port.postMessage({ type: 'connected', connected: agents.filter((a) => a.ready).length });
  } else if (m.type === 'measure') {
    latencies = [];
    maxTickGapMs = 0;
    measureFrom = performance.now();
    measuring = true;
  } else if (m.type === 'stop') {
    measuring = false;
    clearInterval(ticker);
    const result: SwarmResult = {
      latencies: Float64Array.from(latencies),
      sent,
      acked,
      connected: agents.filter((a) => a.ready).length,
      errors,
      maxTickGapMs,
    };
    for (const a of agents) a.ws.terminate();
    port.postMessage({ type: 'result', result }, [result.latencies.buffer as ArrayBuffer]);
  }
});
