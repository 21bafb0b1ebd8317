/**
 * Per-job memory of what the ranks reported: job-level progress points (the highest step seen,
 * when it advanced), per-rank last steps, the current phase and how long past phases lasted,
 * and the loss history. Pure: samples and time go in, a read-only view comes out for detectors.
 */
import type { TrainingPhase, TrainingSample } from './types.ts';

/** The job's step advanced to `step` at `at`; `stepMs` is the per-step time if a rank measured it. */
export interface ProgressPoint {
  step: number;
  at: number;
  stepMs?: number;
}

/** One loss value, in arrival order (`seq` counts every loss ever seen, so detectors can resume). */
export interface LossPoint {
  seq: number;
  step: number;
  loss: number;
  at: number;
  rank: number;
}

export interface RankState {
  rank: number;
  node?: string;
  lastStep: number;
  lastAt: number;
}

/** What detectors read about one job. */
export interface JobView {
  job: string;
  firstSeenAt: number;
  /** When anything was last heard from any rank. */
  lastHeardAt: number;
  progress: readonly ProgressPoint[];
  phase: TrainingPhase;
  phaseSince: number;
  /** Longest completed eval/checkpoint phase seen so far, ms. */
  phaseMaxMs: Partial<Record<TrainingPhase, number>>;
  ranks: readonly RankState[];
  world?: number;
  losses: readonly LossPoint[];
  /** Megatron reported NaN iterations in the latest report. */
  nanIterations: number;
  /** The latest restart from a checkpoint a rank reported: the checkpoint's step and when. */
  restored?: { step: number; at: number };
}

export interface JobStateOptions {
  /** Progress points kept (older ones are dropped). */
  historySize?: number;
  /** Loss points kept. */
  lossHistorySize?: number;
}

/** The state of one job, fed sample by sample. */
export class JobState {
  private readonly progress: ProgressPoint[] = [];
  private readonly losses: LossPoint[] = [];
  private readonly ranks = new Map<number, RankState>();
  private readonly phaseMaxMs: Partial<Record<TrainingPhase, number>> = {};
  private phase: TrainingPhase = 'train';
  private phaseSince: number;
  private lastHeardAt: number;
  private lossSeq = 0;
  private world: number | undefined;
  private nanIterations = 0;
  private restored: { step: number; at: number } | undefined;
  private readonly historySize: number;
  private readonly lossHistorySize: number;

  constructor(
    readonly job: string,
    readonly firstSeenAt: number,
    opts: JobStateOptions = {},
  ) {
    this.phaseSince = firstSeenAt;
    this.lastHeardAt = firstSeenAt;
    this.historySize = opts.historySize ?? 1024;
    this.lossHistorySize = opts.lossHistorySize ?? 512;
  }

  /** Take one sample; `at` is when the agent received it (the agent's clock decides, not the rank's). */
  add(s: TrainingSample): void {
    const at = s.receivedAt;
    this.lastHeardAt = Math.max(this.lastHeardAt, at);
    if (s.world !== undefined) this.world = s.world;
    if (s.phase !== undefined && s.phase !== this.phase) this.setPhase(s.phase, at);
    const r = this.ranks.get(s.rank);
    if (!r || s.step >= r.lastStep) {
      this.ranks.set(s.rank, { rank: s.rank, lastStep: s.step, lastAt: at, ...(s.node ? { node: s.node } : {}) });
    }
    const last = this.progress[this.progress.length - 1];
    // A rank that says it loaded a checkpoint the job did not restart from yet: a restart, dated
    // by the first rank to say so (the others report the same checkpoint after it). A second
    // restart from the same checkpoint is seen only when far behind, as without the report.
    const restarted = s.restoredFrom !== undefined && this.restored?.step !== s.restoredFrom;
    if (restarted) this.restored = { step: s.restoredFrom!, at };
    if (last === undefined || s.step > last.step) {
      this.progress.push({ step: s.step, at, ...(s.stepMs !== undefined ? { stepMs: s.stepMs } : {}) });
      if (this.progress.length > this.historySize) this.progress.shift();
    } else if (restarted || s.step + 2 * this.reportDelta() < last.step) {
      // A restart from a checkpoint (said, or far behind the job): start the history again.
      this.progress.length = 0;
      this.progress.push({ step: s.step, at });
      for (const [rank, st] of this.ranks) if (st.lastStep > s.step) this.ranks.delete(rank);
      this.ranks.set(s.rank, { rank: s.rank, lastStep: s.step, lastAt: at, ...(s.node ? { node: s.node } : {}) });
    }
    if (s.loss !== undefined) {
      this.lossSeq += 1;
      this.losses.push({ seq: this.lossSeq, step: s.step, loss: s.loss, at, rank: s.rank });
      if (this.losses.length > this.lossHistorySize) this.losses.shift();
    }
    if (s.nanIterations !== undefined) this.nanIterations = s.nanIterations;
  }

  /** Steps between consecutive progress points (a log may report every 10 iterations). */
  private reportDelta(): number {
    const n = this.progress.length;
    const a = this.progress[n - 1];
    const b = this.progress[n - 2];
    return a && b ? Math.max(1, a.step - b.step) : 1;
  }

  private setPhase(p: TrainingPhase, at: number): void {
    const lasted = at - this.phaseSince;
    if (this.phase === 'eval' || this.phase === 'checkpoint') {
      this.phaseMaxMs[this.phase] = Math.max(this.phaseMaxMs[this.phase] ?? 0, lasted);
    }
    this.phase = p;
    this.phaseSince = at;
  }

  view(): JobView {
    return {
      job: this.job,
      firstSeenAt: this.firstSeenAt,
      lastHeardAt: this.lastHeardAt,
      progress: this.progress,
      phase: this.phase,
      phaseSince: this.phaseSince,
      phaseMaxMs: { ...this.phaseMaxMs },
      ranks: [...this.ranks.values()].sort((a, b) => a.rank - b.rank),
      ...(this.world !== undefined ? { world: this.world } : {}),
      losses: this.losses,
      nanIterations: this.nanIterations,
      ...(this.restored ? { restored: { ...this.restored } } : {}),
    };
  }
}
