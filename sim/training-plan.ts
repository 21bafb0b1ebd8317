/**
 * The decisions of the simulated training jobs, apart from their I/O: which ranks run where,
 * how long a synchronous step takes, when a checkpoint is due, which ranks of a node that dies
 * mid-save got their shard written, which spare replaces a node, and whether an agent's local
 * restart request applies. Pure.
 */

/** Global ranks of each node: node i holds ranks i·R … i·R+R−1 (torchrun's order). */
export function layoutRanks(nodes: readonly string[], ranksPerNode: number): Map<string, number[]> {
  const out = new Map<string, number[]>();
  nodes.forEach((node, i) => {
    out.set(
      node,
      Array.from({ length: ranksPerNode }, (_, r) => i * ranksPerNode + r),
    );
  });
  return out;
}

/** What the step time of a synchronous job depends on, per node. */
export interface NodePace {
  stepMs: number;
  /** A straggler's factor (1 = normal). */
  factor: number;
  failed: boolean;
}

/** Compute time a node's ranks report for one step. */
export function nodeStepMs(p: NodePace): number {
  return Math.round(p.stepMs * p.factor);
}

/** Wall time of one step: every rank waits in the collectives for the slowest live node. */
export function stepWallMs(nodes: readonly NodePace[]): number {
  const live = nodes.filter((n) => !n.failed);
  return live.length ? Math.max(...live.map(nodeStepMs)) : 0;
}

/** A checkpoint is saved after every `every`-th step. */
export function checkpointDue(step: number, every: number): boolean {
  return every > 0 && step > 0 && step % every === 0;
}

/** The ranks of a node that dies while saving that still finished their shard: the first half, never all. */
export function ranksSavedBeforeFailure(ranks: readonly number[]): number[] {
  return ranks.slice(0, Math.floor(ranks.length / 2));
}

/** The first node (by name) that runs nothing and was never taken out of service; undefined when none. */
export function chooseSpare(
  all: readonly string[],
  busy: ReadonlySet<string>,
  unavailable: ReadonlySet<string>,
): string | undefined {
  return [...all].sort().find((n) => !busy.has(n) && !unavailable.has(n));
}

/** Why an agent's local restart request (its `training.restart` hook) is or is not carried out. */
export type LocalRestartVerdict = 'restart' | 'not-in-job' | 'progressing' | 'restarting' | 'stopped';

/**
 * A local restart restarts the whole (synchronous) job from its last committed checkpoint. It is
 * carried out only when the job is stuck (hung, or a node's ranks died) — every node of a hung job
 * asks, and the first request already restarted it — and only from a node the job runs on (an
 * agent that still remembers a job moved away from it may ask too).
 */
export function localRestartVerdict(
  job: {
    nodes: readonly string[];
    hung: boolean;
    failedNodes: readonly string[];
    stopped: boolean;
    restarting: boolean;
  },
  node: string,
): LocalRestartVerdict {
  if (job.stopped) return 'stopped';
  if (!job.nodes.includes(node)) return 'not-in-job';
  if (job.restarting) return 'restarting';
  return job.hung || job.failedNodes.length > 0 ? 'restart' : 'progressing';
}
