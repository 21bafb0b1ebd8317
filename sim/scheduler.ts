/**
 * The simulated fleet's scheduler and launcher: starts synthetic training jobs on free nodes
 * and restarts them the way production does. A local restart arrives through the agents' real
 * restart hook (the collector's job flow sends `job.restart`, the agent runs its configured
 * command, sim/fakes/bin/job-restart records it in a file watched here). A node the collector
 * isolates — its isolation engine's 'isolated' and 'reschedule' events — is replaced by a spare
 * and the job restarts from its last committed checkpoint, as a scheduler requeueing it would.
 */
import { EventEmitter } from 'node:events';
import { open, stat } from 'node:fs/promises';
import type { Clock } from '../core/clock.ts';
import { describeError, KeelsonError } from '../core/errors.ts';
import { type Logger, moduleLogger } from '../core/logger.ts';
import type { SimTrainingNode } from './node-training.ts';
import { type SimJobRestart, type SimJobSpec, type SimNodeFailure, SimTrainingJob } from './training.ts';
import { chooseSpare, type LocalRestartVerdict, localRestartVerdict } from './training-plan.ts';

/** The part of the collector's isolation engine the scheduler listens to. */
export interface IsolationEvents {
  on(event: 'isolated' | 'reschedule', fn: (e: { node: string; job?: string }) => void): unknown;
  off(event: 'isolated' | 'reschedule', fn: (e: { node: string; job?: string }) => void): unknown;
  /** Nodes the engine holds isolated. */
  nodes(): { node: string; record?: { status: string } }[];
}

export interface SimSchedulerOptions {
  nodes: readonly SimTrainingNode[];
  pfsDir: string;
  clock: Clock;
  log: Logger;
  isolation?: IsolationEvents;
  /** How often the agents' restart-request files are read, ms (default 100). */
  restartPollMs?: number;
}

/** One restart the agents' hook asked for, and what the scheduler made of it (`'local-restart'`). */
export interface LocalRestartRequest {
  node: string;
  job: string;
  attempt: number;
  verdict: LocalRestartVerdict | 'unknown-job';
}

/** `'no-spare'`: a job lost a node and no node is free to replace it. */
export interface NoSpareEvent {
  job: string;
  node: string;
}

/**
 * The fleet's scheduler (`SimFleet.training`). Events: `'restart'` (SimJobRestart, any job),
 * `'node-failed'` (SimNodeFailure), `'local-restart'` (LocalRestartRequest), `'no-spare'` (NoSpareEvent).
 */
export class SimScheduler extends EventEmitter {
  private readonly byId = new Map<string, SimTrainingNode>();
  private readonly running = new Map<string, SimTrainingJob>();
  /** Nodes taken out of service (isolated, or replaced after their ranks died). */
  private readonly retired = new Set<string>();
  private readonly offsets = new Map<string, number>();
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  /** Every local restart request seen, oldest first. */
  readonly localRequests: LocalRestartRequest[] = [];
  private readonly onIsolated = (e: { node: string }) => this.replaceNode(e.node, undefined, 'isolated');
  private readonly onReschedule = (e: { node: string; job?: string }) => this.replaceNode(e.node, e.job, 'reschedule');

  constructor(private readonly o: SimSchedulerOptions) {
    super();
    for (const n of o.nodes) this.byId.set(n.node, n);
    this.log = moduleLogger(o.log, 'sim-scheduler');
  }

  /** Start watching the restart hook's files and the isolation engine. */
  start(): void {
    this.o.isolation?.on('isolated', this.onIsolated);
    this.o.isolation?.on('reschedule', this.onReschedule);
    this.timer = setInterval(() => void this.pollRequests(), this.o.restartPollMs ?? 100);
    this.timer.unref();
  }

  /** Start a job on free nodes (it does not step until `step()` or `run()`). */
  async startJob(spec: SimJobSpec): Promise<SimTrainingJob> {
    if (this.running.get(spec.job) && !this.running.get(spec.job)?.stopped) {
      throw new KeelsonError('CONFIG_INVALID', `job ${spec.job} is already running`);
    }
    for (const id of spec.nodes) {
      if (!this.byId.has(id)) throw new KeelsonError('NOT_FOUND', `no simulated node ${id}`);
      const other = this.jobOn(id);
      if (other) throw new KeelsonError('CONFIG_INVALID', `${id} already runs job ${other.name}`);
    }
    for (const id of spec.nodes) await this.byId.get(id)?.feed.init();
    const job = new SimTrainingJob(spec, {
      nodeOf: (id) => this.byId.get(id),
      pfsDir: this.o.pfsDir,
      clock: this.o.clock,
      log: this.o.log,
    });
    job.on('restart', (r: SimJobRestart) => this.emit('restart', r));
    job.on('node-failed', (f: SimNodeFailure) => this.emit('node-failed', f));
    this.running.set(spec.job, job);
    return job;
  }

  /** The fleet clock's now. */
  now(): number {
    return this.o.clock.now();
  }

  /** A running (or stopped) job by name. */
  job(name: string): SimTrainingJob | undefined {
    return this.running.get(name);
  }

  /** Every job started, stopped ones included. */
  jobs(): SimTrainingJob[] {
    return [...this.running.values()];
  }

  /** The live job running on a node. */
  jobOn(node: string): SimTrainingJob | undefined {
    return this.jobs().find((j) => !j.stopped && j.nodes.includes(node));
  }

  /** Nodes free to take over a failed one, by name. */
  spares(): string[] {
    const busy = new Set(this.jobs().flatMap((j) => (j.stopped ? [] : j.nodes)));
    const out = new Set(this.unavailable());
    return [...this.byId.keys()].filter((n) => !busy.has(n) && !out.has(n)).sort();
  }

  /** Stop every job and the watchers. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.o.isolation?.off('isolated', this.onIsolated);
    this.o.isolation?.off('reschedule', this.onReschedule);
    await Promise.all(this.jobs().map((j) => j.stop().catch(() => undefined)));
    for (const n of this.byId.values()) n.feed.close();
  }

  private unavailable(): Set<string> {
    const out = new Set(this.retired);
    for (const n of this.o.isolation?.nodes() ?? []) if (n.record?.status === 'isolated') out.add(n.node);
    return out;
  }

  /** The collector took `node` out of service: move its job's ranks to a spare and restart from the last commit. */
  private replaceNode(node: string, jobName: string | undefined, cause: 'isolated' | 'reschedule'): void {
    this.retired.add(node);
    const job = jobName ? this.running.get(jobName) : this.jobOn(node);
    if (!job || job.stopped || !job.nodes.includes(node)) return;
    const busy = new Set(this.jobs().flatMap((j) => (j.stopped ? [] : j.nodes)));
    const spare = chooseSpare([...this.byId.keys()], busy, this.unavailable());
    if (!spare) {
      this.log.warn({ job: job.name, node }, 'no spare node to replace an isolated one; the job waits');
      this.emit('no-spare', { job: job.name, node } satisfies NoSpareEvent);
      return;
    }
    job
      .restartFromCheckpoint({ replace: { failed: node, spare }, cause })
      .catch((err) => this.log.error({ err: describeError(err), job: job.name, node }, 'rescheduling failed'));
  }

  /** Read what the agents' restart hook appended since the last poll. */
  private async pollRequests(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const n of this.byId.values()) {
        for (const line of await this.newLines(n.restartRequests)) this.onLocalRequest(n.node, line);
      }
    } catch (err) {
      this.log.warn({ err: describeError(err) }, 'reading restart requests failed');
    } finally {
      this.polling = false;
    }
  }

  private async newLines(path: string): Promise<string[]> {
    const size = await stat(path).then(
      (s) => s.size,
      () => 0,
    );
    const from = this.offsets.get(path) ?? 0;
    if (size <= from) return [];
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(size - from);
      const { bytesRead } = await fh.read(buf, 0, buf.length, from);
      const text = buf.subarray(0, bytesRead).toString('utf8');
      const end = text.lastIndexOf('\n') + 1;
      this.offsets.set(path, from + Buffer.byteLength(text.slice(0, end)));
      return text.slice(0, end).split('\n').filter(Boolean);
    } finally {
      await fh.close();
    }
  }

  private onLocalRequest(node: string, line: string): void {
    let req: { job?: unknown; attempt?: unknown };
    try {
      req = JSON.parse(line) as typeof req;
    } catch {
      this.log.warn({ node, line }, 'unreadable restart request');
      return;
    }
    const name = String(req.job ?? '');
    const job = this.running.get(name);
    const verdict = job
      ? localRestartVerdict(
          {
            nodes: job.nodes,
            hung: job.hung,
            failedNodes: job.failedNodes,
            stopped: job.stopped,
            restarting: job.restartPending,
          },
          node,
        )
      : 'unknown-job';
    const r: LocalRestartRequest = { node, job: name, attempt: Number(req.attempt ?? 0), verdict };
    this.localRequests.push(r);
    this.emit('local-restart', r);
    if (job && verdict === 'restart') {
      job
        .restartFromCheckpoint({ cause: 'local', requestedBy: node })
        .catch((err) => this.log.error({ err: describeError(err), job: name, node }, 'local restart failed'));
    }
  }
}
