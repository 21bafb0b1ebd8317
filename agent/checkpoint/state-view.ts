/**
 * The checkpoint state the agent reports to the collector, per job: the newest step on each
 * tier (memory, peer copies held for buddies, every durable tier), the committed step, the
 * flush in flight with its progress, and paused tiers. Pure over what the shell gathers.
 */

import type { CkptState } from '../../protocol/checkpoint.ts';

export { type CkptState, ckptStateSchema } from '../../protocol/checkpoint.ts';

export interface StateInputs {
  tiers: {
    tier: string;
    paused: boolean;
    reason?: string;
    flight?: { job: string; step: number; bytesDone: number; bytesTotal: number };
  }[];
  /** job → tier → steps complete for this node. */
  steps: Map<string, Map<string, number[]>>;
  committed: Map<string, number>;
  peerCopies: { node: string; job: string; rank: number; step: number }[];
  replicated: Map<string, number>;
  memoryBytes: number;
}

/** Fold the gathered facts into the reported view. */
export function checkpointStateView(i: StateInputs): CkptState {
  const jobs = new Set([...i.steps.keys(), ...i.committed.keys(), ...i.peerCopies.map((p) => p.job)]);
  return {
    tiers: i.tiers.map((t) => ({ tier: t.tier, paused: t.paused, ...(t.reason ? { reason: t.reason } : {}) })),
    memoryBytes: i.memoryBytes,
    jobs: [...jobs].sort().map((job) => {
      const newest: Record<string, number> = {};
      for (const [tier, steps] of i.steps.get(job) ?? []) if (steps.length) newest[tier] = Math.max(...steps);
      const committed = i.committed.get(job);
      const replicated = i.replicated.get(job);
      return {
        job,
        newest,
        ...(committed === undefined ? {} : { committed }),
        flushing: i.tiers.flatMap((t) =>
          t.flight?.job === job
            ? [{ tier: t.tier, step: t.flight.step, bytesDone: t.flight.bytesDone, bytesTotal: t.flight.bytesTotal }]
            : [],
        ),
        peerCopies: i.peerCopies.filter((p) => p.job === job).map(({ node, rank, step }) => ({ node, rank, step })),
        ...(replicated === undefined ? {} : { replicated }),
      };
    }),
  };
}
