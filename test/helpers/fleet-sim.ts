/**
 * A fleet simulator: N fake agents that speak the real protocol (protocol/codec.ts frames:
 * hello, snapshot, findings, metrics, heartbeats) over real WebSockets to a real collector.
 * It knows nothing of the dashboard: tests (and a future `keelson demo`) script faults with
 * `open`/`clear`, drop nodes, or run a steady storm of changes.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { Finding } from '../../core/finding.ts';
import { decodeCollectorMessage, encodeMessage } from '../../protocol/codec.ts';
import type { FindingChange, MetricSampleMsg, ProbeStatus, SequencedMessage } from '../../protocol/messages.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';

/** One simulated node. */
export interface SimNodeSpec {
  id: string;
  hostname?: string;
  labels?: Record<string, string>;
  facts?: Record<string, string>;
  probes?: ProbeStatus[];
  /** Active at start (sent in the first snapshot). */
  findings?: Finding[];
  /** Sent once after the snapshot, as one `metrics` message. */
  samples?: MetricSampleMsg[];
}

export interface FleetSimOptions {
  /** The collector's agent WebSocket URL (…/ws/agent). */
  url: string;
  token: string;
  nodes: SimNodeSpec[];
  /** Connections opened at once while starting (default 50). */
  concurrency?: number;
  heartbeatMs?: number;
  now?: () => number;
}

/** A finding with sensible defaults, for scripting faults. */
export function simFinding(p: Partial<Finding> & Pick<Finding, 'code' | 'severity'>, now = Date.now()): Finding {
  return {
    component: 'host',
    action: 'none',
    kind: 'condition',
    message: `${p.code} observed`,
    evidence: '',
    firstSeen: now,
    lastSeen: now,
    count: 1,
    ...p,
  };
}

/** The fatal Xid 79 ("GPU has fallen off the bus") as the kernel-log probe reports it. */
export function xid79(gpu = 3, now = Date.now()): Finding {
  return simFinding(
    {
      code: 'gpu.xid.79',
      component: `gpu:${gpu}`,
      severity: 'fatal',
      action: 'drain',
      kind: 'event',
      sticky: true,
      message: 'GPU has fallen off the bus (Xid 79)',
      evidence: `NVRM: Xid (PCI:0000:${(0x18 + gpu * 16).toString(16)}:00): 79, pid=1234, name=python, GPU has fallen off the bus.`,
    },
    now,
  );
}

/** `n` nodes with job and rack labels, versions, probes and GPU/IB/NVMe samples. */
export function simNodes(
  n: number,
  opts: { prefix?: string; perJob?: number; perRack?: number; gpus?: number } = {},
): SimNodeSpec[] {
  const prefix = opts.prefix ?? 'node';
  const width = Math.max(4, String(n).length);
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => {
    const id = `${prefix}-${String(i + 1).padStart(width, '0')}`;
    const gpus = opts.gpus ?? 8;
    const samples: MetricSampleMsg[] = [];
    for (let g = 0; g < gpus; g++) {
      const labels = { gpu: String(g) };
      samples.push(
        { name: 'gpu_temperature_celsius', value: 55 + ((i + g) % 20), labels },
        { name: 'gpu_power_draw_watts', value: 300 + ((i * 7 + g) % 300), labels },
        { name: 'gpu_ecc_dbe_volatile_total', value: 0, labels },
        { name: 'gpu_pcie_replays_total', value: (i + g) % 3, labels },
      );
    }
    for (let p = 0; p < 2; p++) {
      const labels = { device: `mlx5_${p}`, port: '1', link_layer: 'InfiniBand' };
      samples.push({ name: 'ib_port_up', value: 1, labels }, { name: 'ib_port_rate_gbps', value: 400, labels });
    }
    samples.push({ name: 'nvme_temperature_celsius', value: 41, labels: { device: 'nvme0' } });
    return {
      id,
      hostname: `${id}.cluster.local`,
      labels: {
        job: `job-${String.fromCharCode(97 + (Math.floor(i / (opts.perJob ?? 16)) % 26))}`,
        rack: `rack-${String(Math.floor(i / (opts.perRack ?? 32)) + 1).padStart(2, '0')}`,
      },
      facts: {
        driverVersion: '550.54.15',
        cudaVersion: '12.4',
        ofedVersion: 'MLNX_OFED_LINUX-24.01',
        gpu_count: String(gpus),
      },
      probes: ['gpu', 'kernel-log', 'rdma', 'nvme', 'driver', 'host'].map((name) => ({
        name,
        status: 'ok' as const,
        lastRun: now,
        durationMs: 40,
      })),
      samples,
    };
  });
}

/** One fake agent. */
export class SimAgent {
  private ws?: WebSocket;
  private seq = 0;
  private acked = 0;
  private readonly epoch = randomUUID();
  private beat?: NodeJS.Timeout;
  private readonly active = new Map<string, Finding>();
  private ackWaiters: { seq: number; resolve: () => void }[] = [];

  constructor(
    readonly spec: SimNodeSpec,
    private readonly o: Required<Pick<FleetSimOptions, 'url' | 'token' | 'heartbeatMs' | 'now'>>,
  ) {
    for (const f of spec.findings ?? []) this.active.set(`${f.code}\u0000${f.component}`, f);
  }

  get id(): string {
    return this.spec.id;
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Connect, say hello, wait for welcome, send a snapshot (and samples). */
  async connect(): Promise<void> {
    const ws = new WebSocket(this.o.url, {
      headers: { authorization: `Bearer ${this.o.token}` },
      perMessageDeflate: false,
    });
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`collector refused: HTTP ${res.statusCode}`)));
    });
    const welcomed = new Promise<void>((resolve, reject) => {
      ws.on('message', (data) => {
        const msg = decodeCollectorMessage(data as Buffer);
        if (msg.type === 'welcome') {
          this.seq = Math.max(this.seq, msg.lastSeq);
          this.acked = msg.lastSeq;
          resolve();
        } else if (msg.type === 'ack') {
          this.acked = Math.max(this.acked, msg.seq);
          const due = this.ackWaiters.filter((w) => w.seq <= this.acked);
          this.ackWaiters = this.ackWaiters.filter((w) => w.seq > this.acked);
          for (const w of due) w.resolve();
        } else if (msg.type === 'error') reject(new Error(`${msg.code}: ${msg.message}`));
      });
      ws.once('close', () => reject(new Error('closed before welcome')));
    });
    ws.on('error', () => {});
    ws.send(
      encodeMessage({
        v: PROTOCOL_VERSION,
        ts: this.o.now(),
        type: 'hello',
        nodeId: this.spec.id,
        hostname: this.spec.hostname ?? this.spec.id,
        labels: this.spec.labels ?? {},
        agentVersion: '0.1.0-sim',
        capabilities: ['findings', 'snapshot', 'metrics'],
        epoch: this.epoch,
        lastAckedSeq: this.acked,
      }),
    );
    await welcomed;
    this.beat = setInterval(
      () => this.sendRaw({ v: PROTOCOL_VERSION, ts: this.o.now(), type: 'heartbeat' }),
      this.o.heartbeatMs,
    );
    this.beat.unref();
    this.snapshot();
    if (this.spec.samples?.length) this.send({ type: 'metrics', samples: this.spec.samples });
  }

  /** Send the node's whole state. */
  snapshot(): number {
    const findings = [...this.active.values()];
    const worst = (['fatal', 'degraded', 'warn'] as const).find((s) => findings.some((f) => f.severity === s));
    return this.send({
      type: 'snapshot',
      health: worst ?? 'healthy',
      findings,
      probes: this.spec.probes ?? [],
      facts: this.spec.facts ?? {},
    });
  }

  /** Open (or update) a finding. Returns its seq. */
  open(f: Finding): number {
    const key = `${f.code}\u0000${f.component}`;
    const change: FindingChange['change'] = this.active.has(key) ? 'updated' : 'opened';
    this.active.set(key, f);
    return this.send({ type: 'findings', changes: [{ change, finding: f }] });
  }

  /** Clear an active finding; undefined when it was not active. */
  clear(code: string, component: string): number | undefined {
    const key = `${code}\u0000${component}`;
    const f = this.active.get(key);
    if (!f) return undefined;
    this.active.delete(key);
    return this.send({ type: 'findings', changes: [{ change: 'cleared', finding: { ...f, lastSeen: this.o.now() } }] });
  }

  isActive(code: string, component: string): boolean {
    return this.active.has(`${code}\u0000${component}`);
  }

  /** Resolves when the collector has acknowledged `seq` (stored it). */
  acknowledged(seq: number): Promise<void> {
    if (seq <= this.acked) return Promise.resolve();
    return new Promise((resolve) => this.ackWaiters.push({ seq, resolve }));
  }

  /** Vanish without a close handshake (a crashed host): the collector will mark it lost. */
  drop(): void {
    clearInterval(this.beat);
    this.ws?.terminate();
  }

  /** Stop cleanly (close code 1000). */
  close(): void {
    clearInterval(this.beat);
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000, 'sim stopping');
  }

  private send(body: Record<string, unknown> & { type: SequencedMessage['type'] }): number {
    this.seq += 1;
    this.sendRaw({ v: PROTOCOL_VERSION, ts: this.o.now(), seq: this.seq, ...body } as SequencedMessage);
    return this.seq;
  }

  private sendRaw(msg: Parameters<typeof encodeMessage>[0]): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(encodeMessage(msg), { binary: true });
  }
}

/** A whole simulated fleet. */
export class FleetSim {
  readonly agents: SimAgent[];
  private readonly byId = new Map<string, SimAgent>();

  private constructor(opts: FleetSimOptions) {
    const o = { url: opts.url, token: opts.token, heartbeatMs: opts.heartbeatMs ?? 2000, now: opts.now ?? Date.now };
    this.agents = opts.nodes.map((s) => new SimAgent(s, o));
    for (const a of this.agents) this.byId.set(a.id, a);
  }

  /** Connect every node (a few at a time) and wait until all are welcomed. */
  static async start(opts: FleetSimOptions): Promise<FleetSim> {
    const sim = new FleetSim(opts);
    const queue = [...sim.agents];
    const worker = async () => {
      for (let a = queue.shift(); a; a = queue.shift()) await a.connect();
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 50, queue.length) }, worker));
    return sim;
  }

  agent(id: string): SimAgent {
    const a = this.byId.get(id);
    if (!a) throw new Error(`no simulated node ${id}`);
    return a;
  }

  /**
   * A steady stream of changes: `perSecond` times a second for `durationMs`, a random node
   * opens or clears a warning. Deterministic for a given seed. Resolves with how many were sent.
   */
  async storm(perSecond: number, durationMs: number, seed = 1): Promise<number> {
    let x = seed >>> 0 || 1;
    const rand = () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) / 0x1_0000_0000;
    };
    const end = Date.now() + durationMs;
    const every = 1000 / perSecond;
    let sent = 0;
    let next = Date.now();
    while (Date.now() < end) {
      const a = this.agents[Math.floor(rand() * this.agents.length)]!;
      const comp = `ib:mlx5_${Math.floor(rand() * 2)}/1`;
      if (a.isActive('ib.counter.symbol_error', comp)) a.clear('ib.counter.symbol_error', comp);
      else
        a.open(
          simFinding({
            code: 'ib.counter.symbol_error',
            component: comp,
            severity: 'warn',
            action: 'inspect-hardware',
            message: 'symbol errors rising on the port',
            evidence: `symbol_error rate ${(rand() * 10).toFixed(2)}/s`,
          }),
        );
      sent += 1;
      next += every;
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
    return sent;
  }

  /** Close every connection cleanly. */
  stop(): void {
    for (const a of this.agents) a.close();
  }
}
