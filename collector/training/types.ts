/**
 * What the collector knows about a training job on one node: the `training` wire message
 * payload (the agent's trainingSummarySchema; the collector never imports agent code, so the
 * shape is restated here), plus when it arrived.
 */

export type JobPhase = 'train' | 'eval' | 'checkpoint' | 'idle';

/** One node's latest summary of one job. */
export interface NodeJobSummary {
  job: string;
  node: string;
  ranks: number;
  world?: number;
  lastStep: number;
  /** Median per-step time over the agent's recent window, ms. */
  stepTimeMs?: number;
  lastProgressAt: number;
  phase: JobPhase;
  /** The node's agent sees the job as hung. */
  hung?: boolean;
}

/** A summary as received: `receivedAt` is the collector's clock. */
export interface ReceivedSummary extends NodeJobSummary {
  receivedAt: number;
}

/** The part of a finding attribution looks at. */
export interface NodeFindingRef {
  code: string;
  severity: 'info' | 'warn' | 'degraded' | 'fatal';
  component: string;
}
