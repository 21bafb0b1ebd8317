/**
 * The fleet as the collector sees it: nodes, their active findings, last samples, liveness.
 * In memory for reads, written through to the store in the same transaction as each
 * message's sequence number. Emits 'change' {node} for live views, 'finding' (FleetFindingEvent)
 * for every finding change once committed, and 'node' (FleetNodeEvent) on liveness changes.
 */
import { EventEmitter } from 'node:events';
import { type Finding, findingKey } from '../core/finding.ts';
import type { Logger } from '../core/logger.ts';
import type { CkptState } from '../protocol/checkpoint.ts';
import type {
  FindingChange,
  Hello,
  MetricSampleMsg,
  MetricsMsg,
  ProbeStatus,
  SequencedMessage,
  TrainingMsg,
} from '../protocol/messages.ts';
import type { TrainingSummary } from '../protocol/training.ts';
import { isDuplicate, nodeHealthOf, nodesToMarkLost, reconcileSnapshot } from './reconcile.ts';
import { type SampleShape, SampleShapes } from './sample-shapes.ts';
import type { FindingQuery, Store, StoredFinding } from './store.ts';
import { JobAnalyzer, type JobAnalyzerOptions } from './training/job-analyzer.ts';
import { JobHistory } from './training/job-history.ts';
import { detectVersionDrift } from './version-drift.ts';

export type NodeState = 'online' | 'offline' | 'lost';

/**
 * Runs a store write of the fleet's own: at once (a throw reaches the caller), or queued for
 * the group commit (a failure reaches `onFailure`; when the whole commit failed, after the fleet
 * reloaded from the store, else the write alone was rolled back and memory keeps the change).
 */
export type FleetWriter = (write: () => void, onFailure?: (err: unknown) => void) => void;
const immediateWriter: FleetWriter = (write) => write();

/** What the API shows about a node. */
export interface NodeView {
  id: string;
  hostname: string;
  labels: Record<string, string>;
  agentVersion: string;
  state: NodeState;
  /** Worst active finding, as the collector holds them. */
  health: 'healthy' | 'warn' | 'degraded' | 'fatal';
  /** What the agent itself last reported. */
  agentHealth: string;
  firstSeen: number;
  lastSeen: number;
  bootId?: string;
  findingCounts: Record<'info' | 'warn' | 'degraded' | 'fatal', number>;
}

interface NodeEntry {
  id: string;
  hostname: string;
  labels: Record<string, string>;
  agentVersion: string;
  epoch: string;
  lastSeq: number;
  bootId?: string;
  agentHealth: string;
  state: NodeState;
  cleanClose: boolean;
  firstSeen: number;
  lastSeen: number;
  probes: ProbeStatus[];
  facts: Record<string, string>;
  /** The latest samples of each probe. */
  samplesByProbe: Map<string, HeldSamples>;
  findings: Map<string, Finding>;
}

/**
 * A probe's latest samples, kept compact: the names and labels (a shape shared with the other
 * nodes reporting the same series: sample-shapes.ts) and the newest values in a Float64Array. A
 * probe reports the same series run after run, so a metrics message usually only overwrites
 * numbers and leaves nothing long-lived for the garbage collector (holding each message's ~100
 * sample objects for a second promoted them all to the old generation: at 10,000 agents, major
 * GCs every few seconds).
 */
interface HeldSamples {
  shape: readonly SampleShape[];
  values: Float64Array;
}

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  let n = 0;
  for (const k in a) {
    if (a[k] !== b[k]) return false;
    n++;
  }
  for (const _ in b) n--;
  return n === 0;
}

/** Fold `samples` into what is held (in place when the series are the same), or hold them anew. */
function holdSamples(
  held: HeldSamples | undefined,
  samples: readonly MetricSampleMsg[],
  shapes: SampleShapes,
): HeldSamples {
  if (held?.shape.length === samples.length) {
    const { shape, values } = held;
    let i = 0;
    for (; i < samples.length; i++) {
      const s = samples[i]!;
      const h = shape[i]!;
      if (h.name !== s.name || !sameLabels(h.labels, s.labels)) break;
      values[i] = s.value;
    }
    if (i === samples.length) return held;
  }
  return { shape: shapes.intern(samples), values: Float64Array.from(samples, (s) => s.value) };
}

/** The held samples as messages carry them. */
function heldSamples(h: HeldSamples): MetricSampleMsg[] {
  return h.shape.map((s, i) => {
    const value = h.values[i]!;
    return s.labels === undefined ? { name: s.name, value } : { name: s.name, value, labels: s.labels };
  });
}

/** Emitted as 'finding' for every finding opened, updated or cleared on any node. */
export interface FleetFindingEvent {
  node: string;
  change: 'opened' | 'updated' | 'cleared';
  finding: Finding;
  at: number;
}

/** Emitted as 'command-result' when an agent answers a command (once stored). */
export interface FleetCommandResult {
  node: string;
  commandId: string;
  ok: boolean;
  error?: string;
  result?: unknown;
}

/** Emitted as 'training' for every training summary a node sends (not sequenced). */
export interface FleetTrainingEvent {
  node: string;
  summary: TrainingSummary;
  at: number;
}

/** Emitted as 'ckpt-state' for every checkpoint state a node sends (not sequenced). */
export interface FleetCkptStateEvent {
  node: string;
  state: CkptState;
  at: number;
}

/** Emitted as 'node' when a node comes online, goes offline or is lost. */
export interface FleetNodeEvent {
  node: string;
  state: NodeState;
  at: number;
}

/** Codes the collector raises from training summaries across nodes. */
const TRAINING_CODES = new Set(['train.straggler', 'train.hang.suspect']);
/** Codes the collector raises itself; an agent's snapshot never clears them. */
const COLLECTOR_OWNED = new Set(['node.lost', 'driver.version.drift', 'net.nccl.slow', 'net.ib.bw', ...TRAINING_CODES]);

export class Fleet extends EventEmitter {
  private readonly nodes = new Map<string, NodeEntry>();
  /** Cross-node training analysis (stragglers, hang attribution). */
  private readonly jobs: JobAnalyzer;
  /** Recent per-node step times and steps of each job, for the job view. */
  readonly jobHistory = new JobHistory();
  /** Finding changes of the message being applied, emitted once its transaction commits. */
  private pendingEvents: FleetFindingEvent[] = [];
  /** Inside a group commit: events wait for the commit. */
  private deferring = false;
  private deferred: [string, unknown][] = [];
  /** Sample names and labels, shared between nodes that report the same series. */
  private readonly shapes = new SampleShapes();
  /** Set when a snapshot brought new facts: version drift is recomputed on the next tick. */
  private factsChanged = true;
  /** How writes outside a sequenced message reach the store: at once, or with the group commit. */
  private writer: FleetWriter = immediateWriter;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    opts: { training?: JobAnalyzerOptions } = {},
  ) {
    super();
    this.jobs = new JobAnalyzer(opts.training);
    this.load();
  }

  /**
   * Send the fleet's own writes (hellos, disconnects, lost nodes, collector-owned findings) through
   * `writer` — the group commit — instead of one autocommit each: 10,000 agents reconnecting
   * after a network partition are a few transactions, not 30,000 fsyncs on the event loop.
   * Memory changes at once; the events that announce a stored change wait for its commit.
   */
  useWriter(writer: FleetWriter): void {
    this.writer = writer;
  }

  /** Forget what is in memory and load nodes and active findings from the database again. */
  reload(): void {
    this.nodes.clear();
    this.pendingEvents = [];
    this.deferred = [];
    this.deferring = false;
    this.load();
  }

  /** Hold back events until `flushEvents` (the group commit they belong to has committed). */
  beginBatch(): void {
    this.deferring = true;
  }

  /** Emit the events held back during a batch. */
  flushEvents(): void {
    this.deferring = false;
    const held = this.deferred;
    this.deferred = [];
    for (const [name, payload] of held) this.emit(name, payload);
  }

  private emitCommitted(name: string, payload: unknown): void {
    if (this.deferring) this.deferred.push([name, payload]);
    else this.emit(name, payload);
  }

  private load(): void {
    const store = this.store;
    for (const n of store.nodes()) {
      this.nodes.set(n.id, {
        ...n,
        agentHealth: n.health,
        state: n.state === 'online' ? 'offline' : (n.state as NodeState),
        cleanClose: false,
        samplesByProbe: new Map(),
        findings: new Map(),
      });
    }
    for (const f of store.allActiveFindings()) {
      const { node, active: _a, clearedAt: _c, ...finding } = f;
      this.nodes.get(node)?.findings.set(findingKey(finding), finding);
    }
  }

  /**
   * A node said hello: record it and return the last seq stored for its epoch. The row is
   * written with the group commit, ahead of any message the node sends after its welcome;
   * `onStoreFailure` hears when that write could not be stored (the session should end).
   */
  hello(h: Hello, now: number, onStoreFailure?: (err: unknown) => void): number {
    const lastSeq = this.store.helloSeq(h.nodeId, h.epoch);
    const prev = this.nodes.get(h.nodeId);
    const entry: NodeEntry = {
      id: h.nodeId,
      hostname: h.hostname,
      labels: h.labels,
      agentVersion: h.agentVersion,
      epoch: h.epoch,
      lastSeq,
      bootId: h.bootId,
      agentHealth: prev?.agentHealth ?? 'healthy',
      state: 'online',
      cleanClose: false,
      firstSeen: prev?.firstSeen ?? now,
      lastSeen: now,
      probes: prev?.probes ?? [],
      facts: prev?.facts ?? {},
      samplesByProbe: prev?.samplesByProbe ?? new Map(),
      findings: prev?.findings ?? new Map(),
    };
    this.nodes.set(h.nodeId, entry);
    this.writer(() => {
      this.store.upsertHello({
        id: h.nodeId,
        hostname: h.hostname,
        labels: h.labels,
        agentVersion: h.agentVersion,
        epoch: h.epoch,
        bootId: h.bootId,
        now,
      });
      this.store.recordEvent(now, h.nodeId, 'connected', { epoch: h.epoch, lastSeq, agentVersion: h.agentVersion });
    }, onStoreFailure);
    this.emit('node', { node: h.nodeId, state: 'online', at: now } satisfies FleetNodeEvent);
    if (entry.findings.has(findingKey({ code: 'node.lost', component: 'node' }))) {
      this.clearCollectorFinding(entry, 'node.lost', 'node', now);
    }
    this.emit('change', { node: h.nodeId });
    return lastSeq;
  }

  /** Any frame from the node proves it alive. */
  touch(nodeId: string, now: number): void {
    const n = this.nodes.get(nodeId);
    if (n) n.lastSeen = now;
  }

  /** Apply a sequenced message exactly once. Returns false for a duplicate. */
  apply(nodeId: string, msg: SequencedMessage, now: number): boolean {
    const n = this.nodes.get(nodeId);
    if (!n) throw new Error(`message for unknown node ${nodeId}`);
    if (isDuplicate(n.lastSeq, msg.seq)) return false;
    if (msg.type === 'metrics') {
      // Memory only: the next probe run supersedes samples and probe statuses, so nothing here
      // needs the disk (no write, no fsync at 10,000 agents a second). Its seq is not stored
      // either: the agent never replays what was acked, and the stored seq stays that of the
      // node's last durable message, which is all the duplicate check needs after a restart.
      this.applyMetrics(n, msg);
      n.lastSeq = msg.seq;
      n.lastSeen = now;
      return true;
    }
    this.pendingEvents = [];
    this.store.applySequenced(nodeId, msg.seq, now, () => {
      switch (msg.type) {
        case 'findings':
          for (const c of msg.changes) this.applyChange(n, c, msg.seq, now);
          break;
        case 'snapshot': {
          const { clear } = reconcileSnapshot([...n.findings.values()], msg.findings, (f) =>
            COLLECTOR_OWNED.has(f.code),
          );
          for (const f of clear) this.applyChange(n, { change: 'cleared', finding: f }, msg.seq, now);
          for (const f of msg.findings) {
            const held = n.findings.get(findingKey(f));
            if (!held) this.applyChange(n, { change: 'opened', finding: f }, msg.seq, now);
            else if (held.severity !== f.severity || held.count !== f.count || held.lastSeen !== f.lastSeen) {
              this.store.upsertFinding(n.id, f);
              n.findings.set(findingKey(f), { ...f });
            }
          }
          this.store.setSnapshot(n.id, msg.health, msg.probes, msg.facts ?? {});
          n.agentHealth = msg.health;
          n.probes = msg.probes;
          n.facts = msg.facts ?? {};
          this.factsChanged = true;
          break;
        }
        case 'ckpt-durable': {
          const { v: _v, ts: _ts, type: _t, seq: _s, ...report } = msg;
          this.emitCommitted('ckpt-durable', { node: n.id, report: { ...report, node: n.id } });
          break;
        }
        case 'command-result':
          this.emitCommitted('command-result', {
            node: n.id,
            commandId: msg.commandId,
            ok: msg.ok,
            error: msg.error,
            result: msg.result,
          } satisfies FleetCommandResult);
          this.store.recordEvent(now, n.id, 'command-result', {
            commandId: msg.commandId,
            ok: msg.ok,
            error: msg.error,
            result: msg.result,
          });
          break;
      }
    });
    n.lastSeq = msg.seq;
    n.lastSeen = now;
    // Listeners hear of changes only once they are committed.
    const events = this.pendingEvents;
    this.pendingEvents = [];
    for (const e of events) this.emitCommitted('finding', e);
    this.emitCommitted('change', { node: nodeId });
    return true;
  }

  /** A probe's status and latest samples. */
  private applyMetrics(n: NodeEntry, msg: MetricsMsg): void {
    const probe = msg.probe;
    if (probe) {
      const i = n.probes.findIndex((p) => p.name === probe.name);
      if (i >= 0) n.probes[i] = probe;
      else n.probes.push(probe);
    }
    const key = probe ? probe.name : '';
    n.samplesByProbe.set(key, holdSamples(n.samplesByProbe.get(key), msg.samples, this.shapes));
  }

  /** The node's session ended. */
  disconnected(nodeId: string, clean: boolean, now: number): void {
    const n = this.nodes.get(nodeId);
    if (n?.state !== 'online') return;
    n.state = 'offline';
    n.cleanClose = clean;
    this.writer(() => {
      this.store.setNodeState(nodeId, 'offline', now);
      this.store.recordEvent(now, nodeId, 'disconnected', { clean });
    });
    this.emit('node', { node: nodeId, state: 'offline', at: now } satisfies FleetNodeEvent);
    this.emit('change', { node: nodeId });
  }

  /** Periodic work: version drift (when facts changed), training analysis and lost nodes. */
  tick(now: number, lostAfterMs: number): string[] {
    if (this.factsChanged) {
      this.factsChanged = false;
      this.updateVersionDrift(now);
    }
    this.updateTraining(now);
    return this.markLost(now, lostAfterMs);
  }

  /** Each node's newest checkpoint state, for the job view. */
  readonly checkpointStates = new Map<string, { state: CkptState; at: number }>();

  /** Raise a finding the collector itself established (a network-test culprit). */
  raiseCollectorFinding(nodeId: string, f: Finding, now: number): void {
    const n = this.nodes.get(nodeId);
    if (n) this.setCollectorFinding(n, f, now);
  }

  /** Clear a collector-owned finding (a later campaign found the node healthy). */
  clearCollectorFindingOf(nodeId: string, code: string, component: string, now: number): void {
    const n = this.nodes.get(nodeId);
    if (n) this.clearCollectorFinding(n, code, component, now);
  }

  /** Nodes among these whose training job made progress in the last `withinMs`. */
  busyNodes(nodes: readonly string[], now: number, withinMs = 10 * 60_000): string[] {
    const busy = new Set<string>();
    for (const j of this.jobHistory.all()) {
      for (const [node, s] of Object.entries(j.nodes)) {
        if (s.latest.phase !== 'idle' && now - s.latest.lastProgressAt < withinMs) busy.add(node);
      }
    }
    return nodes.filter((n) => busy.has(n));
  }

  /** When the collector first saw any node (undefined with none). */
  earliestFirstSeen(): number | undefined {
    let first: number | undefined;
    for (const n of this.nodes.values()) if (first === undefined || n.firstSeen < first) first = n.firstSeen;
    return first;
  }

  /** The training job a node reported most recently (within `withinMs`), if any. */
  trainingJobOf(node: string, now: number, withinMs = 10 * 60_000): string | undefined {
    let best: { job: string; at: number } | undefined;
    for (const j of this.jobHistory.all()) {
      const s = j.nodes[node];
      if (s && now - s.latest.receivedAt < withinMs && (!best || s.latest.receivedAt > best.at)) {
        best = { job: j.job, at: s.latest.receivedAt };
      }
    }
    return best?.job;
  }

  /** A node's checkpoint state (not sequenced: the newest one is what counts). */
  ingestCheckpointState(nodeId: string, state: CkptState, now: number): void {
    this.checkpointStates.set(nodeId, { state, at: now });
    this.emit('ckpt-state', { node: nodeId, state, at: now } satisfies FleetCkptStateEvent);
  }

  /** A node's per-job training summary (not sequenced: the newest one is what counts). */
  ingestTraining(nodeId: string, msg: TrainingMsg, now: number): void {
    const { v: _v, ts: _ts, type: _type, ...summary } = msg;
    this.jobs.ingest(nodeId, { ...summary, node: nodeId }, now);
    this.jobHistory.add(nodeId, summary, now);
    this.emit('training', {
      node: nodeId,
      summary: { ...summary, node: nodeId },
      at: now,
    } satisfies FleetTrainingEvent);
  }

  /** Apply the job analyzer's verdicts as collector-owned findings: what it no longer says clears. */
  private updateTraining(now: number): void {
    if (this.jobHistory.empty()) return;
    for (const n of this.nodes.values()) this.jobs.setNodeFindings(n.id, [...n.findings.values()]);
    const verdicts = this.jobs.evaluate(now);
    for (const n of this.nodes.values()) {
      const obs = verdicts.get(n.id) ?? [];
      const keep = new Set(obs.map((o) => findingKey(o)));
      for (const f of [...n.findings.values()]) {
        if (TRAINING_CODES.has(f.code) && !keep.has(findingKey(f)))
          this.clearCollectorFinding(n, f.code, f.component, now);
      }
      for (const o of obs) {
        const held = n.findings.get(findingKey(o));
        if (held && held.severity === o.severity && held.message === o.message) continue;
        this.setCollectorFinding(
          n,
          { ...o, firstSeen: held?.firstSeen ?? o.at ?? now, lastSeen: now, count: (held?.count ?? 0) + 1 },
          now,
        );
      }
    }
  }

  /** Raise or clear `driver.version.drift` on each node from all nodes' facts. */
  private updateVersionDrift(now: number): void {
    const drift = new Map(
      detectVersionDrift([...this.nodes.values()].map((n) => ({ node: n.id, facts: n.facts }))).map((d) => [d.node, d]),
    );
    const key = findingKey({ code: 'driver.version.drift', component: 'driver' });
    for (const n of this.nodes.values()) {
      const d = drift.get(n.id);
      const held = n.findings.get(key);
      if (d && held?.message !== d.message) {
        const { node: _node, ...obs } = d;
        const f: Finding = { ...obs, firstSeen: held?.firstSeen ?? now, lastSeen: now, count: (held?.count ?? 0) + 1 };
        this.setCollectorFinding(n, f, now);
      } else if (!d && held) {
        this.clearCollectorFinding(n, 'driver.version.drift', 'driver', now);
      }
    }
  }

  /** Mark nodes that stayed silent too long as lost, with a finding saying so. */
  private markLost(now: number, lostAfterMs: number): string[] {
    const lost = nodesToMarkLost([...this.nodes.values()], now, lostAfterMs);
    for (const id of lost) {
      const n = this.nodes.get(id)!;
      n.state = 'lost';
      const lastSeen = n.lastSeen;
      this.writer(() => {
        this.store.setNodeState(id, 'lost', now);
        this.store.recordEvent(now, id, 'lost', { lastSeen });
      });
      const f: Finding = {
        code: 'node.lost',
        component: 'node',
        severity: 'degraded',
        action: 'inspect-hardware',
        kind: 'condition',
        message: `no contact with the agent for ${Math.round((now - n.lastSeen) / 1000)} s`,
        evidence: `last seen ${new Date(n.lastSeen).toISOString()}`,
        firstSeen: now,
        lastSeen: now,
        count: 1,
      };
      this.log.warn({ node: id, lastSeen: n.lastSeen }, 'node lost');
      this.emit('node', { node: id, state: 'lost', at: now } satisfies FleetNodeEvent);
      this.setCollectorFinding(n, f, now);
    }
    return lost;
  }

  /** How many nodes the fleet knows (in any state). */
  get size(): number {
    return this.nodes.size;
  }

  /** Every active finding held, on any node (for counting: do not keep or change them). */
  forEachActiveFinding(fn: (f: Readonly<Finding>, node: string) => void): void {
    for (const n of this.nodes.values()) for (const f of n.findings.values()) fn(f, n.id);
  }

  listNodes(): NodeView[] {
    return [...this.nodes.values()].map((n) => this.view(n)).sort((a, b) => a.id.localeCompare(b.id));
  }

  nodeDetail(id: string) {
    const n = this.nodes.get(id);
    if (!n) return undefined;
    return {
      node: this.view(n),
      findings: [...n.findings.values()],
      probes: n.probes,
      facts: n.facts,
      samples: [...n.samplesByProbe.values()].flatMap(heldSamples),
    };
  }

  findings(q: FindingQuery): StoredFinding[] {
    return this.store.findings(q);
  }

  private view(n: NodeEntry): NodeView {
    const counts = { info: 0, warn: 0, degraded: 0, fatal: 0 };
    for (const f of n.findings.values()) counts[f.severity] += 1;
    return {
      id: n.id,
      hostname: n.hostname,
      labels: n.labels,
      agentVersion: n.agentVersion,
      state: n.state,
      health: nodeHealthOf(n.findings.values()),
      agentHealth: n.agentHealth,
      firstSeen: n.firstSeen,
      lastSeen: n.lastSeen,
      ...(n.bootId ? { bootId: n.bootId } : {}),
      findingCounts: counts,
    };
  }

  private applyChange(n: NodeEntry, c: FindingChange, seq: number, now: number): void {
    const key = findingKey(c.finding);
    if (c.change === 'cleared') {
      this.store.clearFinding(n.id, c.finding, now);
      n.findings.delete(key);
    } else {
      this.store.upsertFinding(n.id, c.finding);
      n.findings.set(key, { ...c.finding });
    }
    this.pendingEvents.push({ node: n.id, change: c.change, finding: { ...c.finding }, at: now });
    this.store.recordFindingEvent({
      ts: now,
      node: n.id,
      epoch: n.epoch,
      seq,
      change: c.change,
      code: c.finding.code,
      component: c.finding.component,
      severity: c.finding.severity,
      firstSeen: c.finding.firstSeen,
    });
  }

  /** Open or update a finding the collector raises itself (outside any agent's sequence). */
  private setCollectorFinding(n: NodeEntry, f: Finding, now: number): void {
    const key = findingKey(f);
    const change = n.findings.has(key) ? 'updated' : 'opened';
    n.findings.set(key, f);
    this.writer(() => {
      this.store.upsertFinding(n.id, f);
      this.emitCommitted('finding', { node: n.id, change, finding: { ...f }, at: now } satisfies FleetFindingEvent);
      this.emitCommitted('change', { node: n.id });
    });
  }

  private clearCollectorFinding(n: NodeEntry, code: string, component: string, now: number): void {
    const key = findingKey({ code, component });
    const f = n.findings.get(key);
    if (!f) return;
    n.findings.delete(key);
    this.writer(() => {
      this.store.clearFinding(n.id, f, now);
      this.emitCommitted('finding', {
        node: n.id,
        change: 'cleared',
        finding: { ...f },
        at: now,
      } satisfies FleetFindingEvent);
      this.emitCommitted('change', { node: n.id });
    });
  }
}
