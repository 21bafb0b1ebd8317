/**
 * A job's checkpoint status across its nodes, for the job view: per tier the newest step some
 * node holds and the newest every node holds, the committed step, the flush in flight summed
 * over nodes, and why a tier is paused. Pure over the nodes' latest `ckpt-state` messages.
 */
import type { CkptState } from '../../protocol/checkpoint.ts';

/** One tier's line in the job view. */
export interface JobTierStatus {
  tier: string;
  newestStep?: number;
  newestCompleteStep?: number;
  flush?: { step: number; doneBytes: number; totalBytes: number; nodesDone: number; nodesTotal: number };
  paused?: string;
}

/** The job view's `checkpoint` section, or null when no node reports this job's checkpoints. */
export function jobCheckpointStatus(
  job: string,
  states: ReadonlyMap<string, { state: CkptState }>,
  nodes: readonly string[],
) {
  const mine = nodes.flatMap((n) => {
    const s = states.get(n)?.state;
    const j = s?.jobs.find((x) => x.job === job);
    return s && j ? [{ node: n, state: s, job: j }] : [];
  });
  if (!mine.length) return null;
  const tiers = [...new Set(mine.flatMap((m) => [...Object.keys(m.job.newest), ...m.state.tiers.map((t) => t.tier)]))];
  const committed = mine.map((m) => m.job.committed).filter((c): c is number => c !== undefined);
  return {
    // Absent until a step is committed (the page then says so).
    ...(committed.length ? { committedStep: Math.max(...committed) } : {}),
    tiers: tiers.map((tier): JobTierStatus => {
      const newest = mine.map((m) => m.job.newest[tier]);
      const have = newest.filter((x): x is number => x !== undefined);
      const flights = mine.flatMap((m) => m.job.flushing.filter((f) => f.tier === tier));
      const paused = mine.flatMap((m) => m.state.tiers.filter((t) => t.tier === tier && t.paused));
      return {
        tier,
        ...(have.length ? { newestStep: Math.max(...have) } : {}),
        ...(have.length === mine.length ? { newestCompleteStep: Math.min(...have) } : {}),
        ...(flights.length
          ? {
              flush: {
                step: Math.max(...flights.map((f) => f.step)),
                doneBytes: flights.reduce((a, f) => a + f.bytesDone, 0),
                totalBytes: flights.reduce((a, f) => a + f.bytesTotal, 0),
                nodesDone: mine.length - flights.length,
                nodesTotal: mine.length,
              },
            }
          : {}),
        ...(paused.length ? { paused: paused[0]!.reason ?? 'paused' } : {}),
      };
    }),
  };
}
