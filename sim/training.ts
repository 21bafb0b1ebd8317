/**
 * A synthetic, synchronous data-parallel training job over some simulated nodes: R ranks per
 * node report every step to their node's real agent over its unix training socket (the lines
 * the Python client sends) and every K steps save a checkpoint through checkpoint-lib's writer
 * into the node's shm slots and notify the agent, which flushes it to NVMe and parallel storage
 * while the collector commits it once every rank is durable. Faults: a hang, a straggler, a
 * node whose ranks die (with or without a checkpoint in flight). Restarts load the newest
 * committed step (sim/ckpt-restore.ts) and resume with `restoredFrom` on each rank's first report.
 *
 * Two ways to drive it: `await job.step()` (tests with a manual clock: they set the time between
 * steps, every timestamp comes from the fleet's clock) or `job.run()` in real time (the demo).
 */
import { EventEmitter } from 'node:events';
import { Checkpointer } from '../checkpoint-lib/writer.ts';
import type { Clock } from '../core/clock.ts';
import { KeelsonError } from '../core/errors.ts';
import { type Logger, moduleLogger } from '../core/logger.ts';
import { restoreJob } from './ckpt-restore.ts';
import type { SimTrainingNode } from './node-training.ts';
import { rankReportLine, rankShards, type SimRankReport, syntheticLoss } from './rank-report.ts';
import { checkpointDue, layoutRanks, nodeStepMs, ranksSavedBeforeFailure, stepWallMs } from './training-plan.ts';

/** What to run. */
export interface SimJobSpec {
  job: string;
  /** Node ids, in rank order. */
  nodes: string[];
  /** Ranks per node, one per GPU (default 8). */
  ranksPerNode?: number;
  /** Compute time of a step on every node, ms (default 1000). */
  stepMs?: number;
  /** Save a checkpoint after every K-th step (default 10; 0 = never). */
  checkpointEvery?: number;
  /** Bytes of each rank's model shard (default 3072; the optimizer shard is a quarter). */
  modelBytes?: number;
}

/** Why a job restarted. */
export type SimRestartCause = 'local' | 'isolated' | 'reschedule' | 'manual';

/** One restart, as the job records and emits it (`'restart'`). */
export interface SimJobRestart {
  job: string;
  at: number;
  cause: SimRestartCause;
  /** The node whose agent asked (local restarts). */
  requestedBy?: string;
  /** The step the job had reached. */
  abandonedStep: number;
  /** The committed step it resumed from; undefined when nothing was committed (back to step 0). */
  restoredFrom?: number;
  /** Where each rank's checkpoint was read from. */
  tiers?: Record<number, string>;
  replaced?: { failed: string; spare: string };
  /** Nodes whose ranks are still dead after this restart: the job stays blocked. */
  blockedBy: string[];
}

/** The result of one `step()`. */
export interface SimStepResult {
  /** The job's step after this call. */
  step: number;
  /** Lines the agents received. */
  reported: number;
  /** True when nothing could progress (hung, or a node's ranks are dead). */
  blocked: boolean;
  checkpoint?: SimCheckpointResult;
}

/** What the ranks saved after a step. */
export interface SimCheckpointResult {
  step: number;
  saved: number[];
  /** Ranks whose save was skipped by the writer (all slots busy). */
  skipped: number[];
  /** The node that died while this checkpoint was being taken. */
  failedNode?: string;
}

/** `'node-failed'`: a node's ranks died. */
export interface SimNodeFailure {
  job: string;
  node: string;
  step: number;
  duringCheckpoint: boolean;
}

interface Member {
  node: SimTrainingNode;
  ranks: number[];
  stepMs: number;
  factor: number;
  failed: boolean;
}

export interface SimTrainingJobDeps {
  nodeOf: (id: string) => SimTrainingNode | undefined;
  /** Parallel storage where the collector commits (MANIFEST, LATEST). */
  pfsDir: string;
  clock: Clock;
  log: Logger;
}

/**
 * One simulated job. Events: `'step'` {job, step, at}, `'checkpoint'` (SimCheckpointResult & {job}),
 * `'node-failed'` (SimNodeFailure), `'restart'` (SimJobRestart). Start it with SimScheduler.startJob.
 */
export class SimTrainingJob extends EventEmitter {
  readonly name: string;
  readonly ranksPerNode: number;
  readonly checkpointEvery: number;
  readonly modelBytes: number;
  private members: Member[];
  private current = 0;
  private hungFlag = false;
  private stoppedFlag = false;
  private restartsQueued = 0;
  private restoredStep: number | undefined;
  private readonly pendingRestore = new Set<number>();
  private readonly failAtCheckpoint = new Set<string>();
  private readonly writers = new Map<number, Checkpointer>();
  private chain: Promise<unknown> = Promise.resolve();
  private runTimer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly log: Logger;
  /** Every restart so far, oldest first. */
  readonly restarts: SimJobRestart[] = [];

  constructor(
    spec: SimJobSpec,
    private readonly d: SimTrainingJobDeps,
  ) {
    super();
    if (spec.nodes.length === 0) throw new KeelsonError('CONFIG_INVALID', `job ${spec.job}: no nodes`);
    this.name = spec.job;
    this.ranksPerNode = spec.ranksPerNode ?? 8;
    this.checkpointEvery = spec.checkpointEvery ?? 10;
    this.modelBytes = spec.modelBytes ?? 3072;
    const layout = layoutRanks(spec.nodes, this.ranksPerNode);
    this.members = spec.nodes.map((id) => ({
      node: this.nodeOf(id),
      ranks: layout.get(id) ?? [],
      stepMs: spec.stepMs ?? 1000,
      factor: 1,
      failed: false,
    }));
    this.log = moduleLogger(d.log, 'sim-training').child({ job: spec.job });
  }

  // ── what it is ────────────────────────────────────────────────────────────────────────

  /** The last step every rank completed. */
  get lastStep(): number {
    return this.current;
  }

  /** Ranks in the job. */
  get world(): number {
    return this.members.length * this.ranksPerNode;
  }

  /** Node ids, in rank order (a replaced node's spare takes its place). */
  get nodes(): string[] {
    return this.members.map((m) => m.node.node);
  }

  get hung(): boolean {
    return this.hungFlag;
  }

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  /** Nodes whose ranks are dead. */
  get failedNodes(): string[] {
    return this.members.filter((m) => m.failed).map((m) => m.node.node);
  }

  /** True while a restart is under way. */
  get restartPending(): boolean {
    return this.restartsQueued > 0;
  }

  /** Wall time of the next step: the slowest live node's compute time. */
  stepIntervalMs(): number {
    return stepWallMs(this.members);
  }

  /** A plain snapshot for logs and dashboards. */
  view() {
    return {
      job: this.name,
      step: this.current,
      world: this.world,
      hung: this.hungFlag,
      stopped: this.stoppedFlag,
      ...(this.restoredStep !== undefined ? { restoredFrom: this.restoredStep } : {}),
      nodes: this.members.map((m) => ({
        node: m.node.node,
        ranks: [...m.ranks],
        stepMs: nodeStepMs(m),
        failed: m.failed,
      })),
      restarts: this.restarts.length,
    };
  }

  // ── driving it ────────────────────────────────────────────────────────────────────────

  /**
   * Every live rank reports the next step (at the clock's now); resolves when every agent has
   * received the lines, after the checkpoint (if one is due) was written and notified. While the
   * job is hung or a node's ranks are dead, nothing progresses: synchronous ranks wait in their
   * collectives.
   */
  step(): Promise<SimStepResult> {
    return this.serial(() => this.doStep());
  }

  /** Step in real time until `stopRun()`/`stop()`: each step waits the slowest node's step time. */
  run(stepMs?: number): void {
    if (stepMs !== undefined) for (const m of this.members) m.stepMs = stepMs;
    if (this.running || this.stoppedFlag) return;
    this.running = true;
    const tick = async () => {
      if (!this.running) return;
      const began = this.d.clock.now();
      let wait = this.members[0]?.stepMs ?? 1000;
      try {
        const r = await this.step();
        if (!r.blocked) wait = this.stepIntervalMs();
      } catch (err) {
        this.log.warn({ err }, 'simulated step failed');
      }
      if (this.running) {
        // The step's own I/O is part of its wall time.
        this.runTimer = setTimeout(() => void tick(), Math.max(0, wait - (this.d.clock.now() - began)));
        this.runTimer.unref();
      }
    };
    void tick();
  }

  /** Stop stepping in real time (the job stays where it is). */
  stopRun(): void {
    this.running = false;
    if (this.runTimer) clearTimeout(this.runTimer);
    this.runTimer = undefined;
  }

  // ── faults ────────────────────────────────────────────────────────────────────────────

  /** Every rank stops reporting; the processes "still run" (an NCCL deadlock). */
  hang(): void {
    this.hungFlag = true;
  }

  /** The hung ranks go on (a restart also ends a hang). */
  resume(): void {
    this.hungFlag = false;
  }

  /** That node's compute takes `factor` × as long (1 = back to normal): a straggler. */
  slow(node: string, factor: number): void {
    if (!(factor > 0)) throw new KeelsonError('CONFIG_INVALID', `slow factor must be positive, got ${factor}`);
    this.member(node).factor = factor;
  }

  /** That node's ranks die now (pair it with an Xid 79 on the node); the job blocks. */
  failNode(node: string): void {
    const m = this.member(node);
    if (m.failed) return;
    m.failed = true;
    this.closeRanks(m);
    this.emit('node-failed', {
      job: this.name,
      node,
      step: this.current,
      duringCheckpoint: false,
    } satisfies SimNodeFailure);
  }

  /** That node dies during the next checkpoint: half its ranks saved, the rest never; the step can never commit. */
  failNodeAtNextCheckpoint(node: string): void {
    this.member(node);
    this.failAtCheckpoint.add(node);
  }

  // ── restarts ──────────────────────────────────────────────────────────────────────────

  /**
   * Restart every rank from the newest committed step (read from parallel storage and verified),
   * resuming at step+1 with `restoredFrom` on each rank's first report; with `replace`, the
   * failed node's ranks move to the spare first. Ends a hang. A node whose ranks are dead and
   * not replaced keeps the job blocked.
   */
  restartFromCheckpoint(
    o: { replace?: { failed: string; spare: string }; cause?: SimRestartCause; requestedBy?: string } = {},
  ): Promise<SimJobRestart> {
    this.restartsQueued += 1;
    this.hungFlag = false;
    return this.serial(() => this.doRestart(o)).finally(() => {
      this.restartsQueued -= 1;
    });
  }

  /** Ranks report `idle` (their launcher tore them down) and close; the job is over. */
  stop(): Promise<void> {
    this.stopRun();
    return this.serial(async () => {
      if (this.stoppedFlag) return;
      this.stoppedFlag = true;
      for (const m of this.members) this.retire(m);
      await Promise.all(this.members.map((m) => m.node.feed.received().catch(() => undefined)));
    });
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────

  private async doStep(): Promise<SimStepResult> {
    if (this.stoppedFlag) throw new KeelsonError('NOT_FOUND', `job ${this.name} is stopped`);
    if (this.hungFlag || this.members.some((m) => m.failed)) {
      return { step: this.current, reported: 0, blocked: true };
    }
    const next = this.current + 1;
    const ts = this.d.clock.now();
    let reported = 0;
    for (const m of this.members) {
      const stepMs = nodeStepMs(m);
      for (const rank of m.ranks) {
        const restoredFrom = this.pendingRestore.has(rank) ? this.restoredStep : undefined;
        this.pendingRestore.delete(rank);
        this.report(m, rank, { step: next, ts, stepMs, loss: syntheticLoss(next, rank), restoredFrom });
        reported += 1;
      }
    }
    await Promise.all(this.members.map((m) => m.node.feed.received()));
    this.current = next;
    this.emit('step', { job: this.name, step: next, at: ts });
    if (!checkpointDue(next, this.checkpointEvery)) return { step: next, reported, blocked: false };
    const checkpoint = this.saveCheckpoint(next);
    this.emit('checkpoint', { job: this.name, ...checkpoint });
    return { step: next, reported, blocked: false, checkpoint };
  }

  private saveCheckpoint(step: number): SimCheckpointResult {
    const saved: number[] = [];
    const skipped: number[] = [];
    let failedNode: string | undefined;
    for (const m of this.members) {
      const dying = this.failAtCheckpoint.has(m.node.node);
      for (const rank of dying ? ranksSavedBeforeFailure(m.ranks) : m.ranks) {
        const r = this.writer(rank, m).save(step, rankShards(this.name, rank, step, this.modelBytes));
        (r.saved ? saved : skipped).push(rank);
      }
      if (dying) {
        this.failAtCheckpoint.delete(m.node.node);
        m.failed = true;
        failedNode = m.node.node;
        this.closeRanks(m);
      }
    }
    if (failedNode) {
      this.emit('node-failed', {
        job: this.name,
        node: failedNode,
        step,
        duringCheckpoint: true,
      } satisfies SimNodeFailure);
    }
    return { step, saved, skipped, ...(failedNode ? { failedNode } : {}) };
  }

  private async doRestart(o: {
    replace?: { failed: string; spare: string };
    cause?: SimRestartCause;
    requestedBy?: string;
  }): Promise<SimJobRestart> {
    if (this.stoppedFlag) throw new KeelsonError('NOT_FOUND', `job ${this.name} is stopped`);
    if (o.replace) {
      const old = this.member(o.replace.failed);
      const spare = this.nodeOf(o.replace.spare);
      if (this.members.some((m) => m.node.node === spare.node)) {
        throw new KeelsonError('CONFIG_INVALID', `job ${this.name} already runs on ${spare.node}`);
      }
      this.retire(old);
      await spare.feed.init();
      this.members = this.members.map((m) => (m === old ? { ...old, node: spare, factor: 1, failed: false } : m));
    }
    // Surviving processes are restarted too: their open slots and connections go.
    for (const w of this.writers.values()) w.close();
    this.writers.clear();
    const restored = await restoreJob({
      job: this.name,
      pfsDir: this.d.pfsDir,
      ranks: this.members.flatMap((m) =>
        m.ranks.map((rank) => ({ rank, shmRoot: m.node.shmRoot, nvmeDir: m.node.nvmeDir })),
      ),
      modelBytes: this.modelBytes,
    });
    const abandonedStep = this.current;
    this.current = restored?.step ?? 0;
    this.restoredStep = restored?.step;
    this.pendingRestore.clear();
    if (restored) for (const m of this.members) for (const r of m.ranks) this.pendingRestore.add(r);
    this.hungFlag = false;
    const rec: SimJobRestart = {
      job: this.name,
      at: this.d.clock.now(),
      cause: o.cause ?? 'manual',
      ...(o.requestedBy ? { requestedBy: o.requestedBy } : {}),
      abandonedStep,
      ...(restored ? { restoredFrom: restored.step, tiers: restored.tiers } : {}),
      ...(o.replace ? { replaced: { ...o.replace } } : {}),
      blockedBy: this.failedNodes,
    };
    this.restarts.push(rec);
    this.log.info({ ...rec, tiers: undefined }, 'simulated job restarted');
    this.emit('restart', rec);
    return rec;
  }

  /** One rank's report line, as the Python client sends it, over `m`'s agent socket. */
  private report(m: Member, rank: number, r: Omit<SimRankReport, 'job' | 'rank' | 'world' | 'node'>): void {
    m.node.feed.send(rank, rankReportLine({ ...r, job: this.name, rank, world: this.world, node: m.node.node }));
  }

  /** The ranks on `m` are gone: an `idle` report from each (what the agent's process watch would see), then close. */
  private retire(m: Member): void {
    for (const rank of m.ranks) {
      this.report(m, rank, { step: this.current, ts: this.d.clock.now(), phase: 'idle' });
      m.node.feed.closeRank(rank);
      this.writers.get(rank)?.close();
      this.writers.delete(rank);
    }
  }

  /** Dead ranks' connections close (their processes are gone). */
  private closeRanks(m: Member): void {
    for (const rank of m.ranks) {
      m.node.feed.closeRank(rank);
      this.writers.get(rank)?.close();
      this.writers.delete(rank);
    }
  }

  private writer(rank: number, m: Member): Checkpointer {
    let w = this.writers.get(rank);
    if (!w) {
      w = new Checkpointer(this.name, rank, this.world, { shmRoot: m.node.shmRoot, socketPath: m.node.ckptSocket });
      this.writers.set(rank, w);
    }
    return w;
  }

  private member(node: string): Member {
    const m = this.members.find((x) => x.node.node === node);
    if (!m) throw new KeelsonError('NOT_FOUND', `job ${this.name} does not run on ${node}`);
    return m;
  }

  private nodeOf(id: string): SimTrainingNode {
    const n = this.d.nodeOf(id);
    if (!n) throw new KeelsonError('NOT_FOUND', `no simulated node ${id}`);
    return n;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
