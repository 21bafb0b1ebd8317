/**
 * Recent history of each training job as its nodes report it: per node, a bounded series of
 * (time, step, step time) points, for the dashboard's job view (a straggler is its own line).
 */
import type { TrainingSummary } from '../../protocol/training.ts';

/** One point of one node's series. */
export interface JobPoint {
  at: number;
  step: number;
  stepTimeMs?: number;
  loss?: number;
}

/** One node's part of a job. */
export interface JobNodeSeries {
  points: JobPoint[];
  latest: Omit<TrainingSummary, 'node'> & { receivedAt: number };
}

/** A job as the job view shows it. */
export interface JobSeries {
  job: string;
  nodes: Record<string, JobNodeSeries>;
}

/** Points kept per node and job. */
const MAX_POINTS = 600;

export class JobHistory {
  private readonly jobs = new Map<string, JobSeries>();

  /** Record one summary from `node`. */
  add(node: string, s: Omit<TrainingSummary, 'node'>, now: number): void {
    let j = this.jobs.get(s.job);
    if (!j) {
      j = { job: s.job, nodes: {} };
      this.jobs.set(s.job, j);
    }
    const entry: JobNodeSeries = j.nodes[node] ?? { points: [], latest: { ...s, receivedAt: now } };
    entry.latest = { ...s, receivedAt: now };
    entry.points.push({
      at: now,
      step: s.lastStep,
      ...(s.stepTimeMs !== undefined ? { stepTimeMs: s.stepTimeMs } : {}),
      ...(s.loss !== undefined ? { loss: s.loss } : {}),
    });
    if (entry.points.length > MAX_POINTS) entry.points.splice(0, entry.points.length - MAX_POINTS);
    j.nodes[node] = entry;
  }

  empty(): boolean {
    return this.jobs.size === 0;
  }

  /** Every job: how many nodes, its newest step and when it last progressed. */
  list(): { job: string; nodes: number; lastStep: number; lastProgressAt: number; phase: string }[] {
    return [...this.jobs.values()].map((j) => {
      const latest = Object.values(j.nodes).map((n) => n.latest);
      return {
        job: j.job,
        nodes: latest.length,
        lastStep: Math.max(...latest.map((l) => l.lastStep)),
        lastProgressAt: Math.max(...latest.map((l) => l.lastProgressAt)),
        phase: latest[0]?.phase ?? 'idle',
      };
    });
  }

  all(): JobSeries[] {
    return [...this.jobs.values()];
  }

  get(job: string): JobSeries | undefined {
    return this.jobs.get(job);
  }
}
