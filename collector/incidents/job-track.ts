/**
 * What the incident tracker remembers of each training job from its nodes' summaries: the step
 * reached, when it last advanced, its step time and GPUs, and the restarts it went through.
 * Pure: a summary and the time go in, what changed (progress, a restart) comes out.
 */
import type { TrainingSummary } from '../../protocol/training.ts';

interface NodeTrack {
  lastStep: number;
  lastProgressAt: number;
  phase: TrainingSummary['phase'];
  stepTimeMs?: number;
  ranks: number;
  world?: number;
  receivedAt: number;
}

/** A restart from a checkpoint, reported by the ranks or inferred from the step going back. */
export interface RestartSeen {
  at: number;
  step: number;
  source: 'reported' | 'committed' | 'inferred';
}

/** Where a job stands: the step reached, when it last advanced, its median step time. */
export interface JobSnapshot {
  maxStep: number;
  lastProgressAt: number;
  stepTimeMs?: number;
}

/** What one summary changed. */
export interface JobChange {
  /** The job (re)started from a checkpoint; `before` is where it stood (its last good step). */
  restart?: RestartSeen & { before: JobSnapshot };
  /** This node's step advanced: to `step`, `delta` steps, at `at`. */
  progress?: { at: number; step: number; delta: number };
}

/** Node summaries older than this no longer count toward "the node runs this job". */
export const NODE_JOB_TTL_MS = 120_000;

export class JobTrack {
  readonly nodes = new Map<string, NodeTrack>();
  lastSeen: number;
  /** The newest globally committed checkpoint step, when the collector knows it. */
  committed?: number;
  private lastRestore?: { at: number; step: number };
  /** GPUs as last stored (before a collector restart), until nodes report again. */
  storedGpus = 0;

  constructor(
    readonly job: string,
    readonly firstSeen: number,
  ) {
    this.lastSeen = firstSeen;
  }

  /** The highest step any node reports. */
  get maxStep(): number {
    let m = 0;
    for (const n of this.nodes.values()) m = Math.max(m, n.lastStep);
    return m;
  }

  /** When any node last advanced. */
  get lastProgressAt(): number {
    let m = this.firstSeen;
    for (const n of this.nodes.values()) m = Math.max(m, n.lastProgressAt);
    return m;
  }

  /** The median of the nodes' step times (ms), excluding `except`. */
  stepTimeMs(except?: string): number | undefined {
    const xs = [...this.nodes.entries()]
      .filter(([id, n]) => id !== except && n.stepTimeMs !== undefined)
      .map(([, n]) => n.stepTimeMs!)
      .sort((a, b) => a - b);
    if (xs.length === 0) return undefined;
    const mid = Math.floor(xs.length / 2);
    return xs.length % 2 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
  }

  nodeStepTimeMs(node: string): number | undefined {
    return this.nodes.get(node)?.stepTimeMs;
  }

  /** Where the job stands now (computed on demand: a stall or a restart needs it, a summary does not). */
  snapshot(): JobSnapshot {
    const st = this.stepTimeMs();
    return {
      maxStep: this.maxStep,
      lastProgressAt: this.lastProgressAt,
      ...(st !== undefined ? { stepTimeMs: st } : {}),
    };
  }

  /** GPUs of the job: its world size when ranks say it, else the ranks the nodes report. */
  get gpus(): number {
    let world = 0;
    let ranks = 0;
    for (const n of this.nodes.values()) {
      world = Math.max(world, n.world ?? 0);
      ranks += n.ranks;
    }
    return world || ranks || this.storedGpus;
  }

  /** When `node` last advanced this job, if it reported it recently and not as idle (stopped). */
  activeOn(node: string, now: number): number | undefined {
    const n = this.nodes.get(node);
    return n !== undefined && n.phase !== 'idle' && now - n.receivedAt <= NODE_JOB_TTL_MS
      ? n.lastProgressAt
      : undefined;
  }

  /** Take one node's summary. */
  update(node: string, s: TrainingSummary, at: number): JobChange {
    const prev = this.nodes.get(node);
    const change: JobChange = {};
    const restart = this.restartOf(prev, s);
    if (restart) {
      change.restart = { ...restart, before: this.snapshot() };
      this.lastRestore = { at: restart.at, step: restart.step };
      // Every node starts again from the checkpoint: old steps must not read as progress.
      for (const n of this.nodes.values()) n.lastStep = Math.min(n.lastStep, restart.step);
    }
    const from = this.nodes.get(node)?.lastStep ?? (restart ? restart.step : undefined);
    const stale = this.lastRestore !== undefined && s.lastProgressAt < this.lastRestore.at;
    if (from !== undefined && s.lastStep > from && !stale) {
      change.progress = { at: s.lastProgressAt, step: s.lastStep, delta: s.lastStep - from };
    }
    this.nodes.set(node, {
      lastStep: s.lastStep,
      lastProgressAt: s.lastProgressAt,
      phase: s.phase,
      ...(s.stepTimeMs !== undefined ? { stepTimeMs: s.stepTimeMs } : {}),
      ranks: s.ranks,
      ...(s.world !== undefined ? { world: s.world } : {}),
      receivedAt: at,
    });
    // A stopped job (its ranks idle) no longer adds wall time to its goodput.
    if (s.phase !== 'idle') this.lastSeen = Math.max(this.lastSeen, at);
    return change;
  }

  private restartOf(prev: NodeTrack | undefined, s: TrainingSummary): RestartSeen | undefined {
    if (s.restoredFrom !== undefined && s.restoredAt !== undefined) {
      const known = this.lastRestore;
      const same = known && known.step === s.restoredFrom && Math.abs(known.at - s.restoredAt) < NODE_JOB_TTL_MS;
      if (!same && (!known || s.restoredAt > known.at)) {
        return { at: s.restoredAt, step: s.restoredFrom, source: 'reported' };
      }
      return undefined;
    }
    // No report: a node whose step went back restarted; the committed step is where it resumed.
    if (prev && s.lastStep + 1 < prev.lastStep) {
      const recent = this.lastRestore && s.lastProgressAt - this.lastRestore.at < NODE_JOB_TTL_MS;
      if (recent) return undefined;
      return this.committed !== undefined && this.committed <= s.lastStep
        ? { at: s.lastProgressAt, step: this.committed, source: 'committed' }
        : { at: s.lastProgressAt, step: s.lastStep, source: 'inferred' };
    }
    return undefined;
  }
}
