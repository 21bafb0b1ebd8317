/**
 * The simulated fleet as the training and incident end-to-end tests drive it: real agents and a
 * real collector in-process on a MANUAL clock, only the kernel-log probe among the hardware
 * probes, and a helper that steps a job and waits until the collector holds that very step.
 */
import { expect } from 'vitest';
import type { ManualClock } from '../../core/clock.ts';
import { silentLogger } from '../../core/logger.ts';
import { type SimFleet, startSimFleet } from '../../sim/fleet.ts';
import type { SimTrainingJob } from '../../sim/training.ts';
import { waitFor } from './processes.ts';

/** A fleet of `nodes` sim nodes in `dir`, on `clock`. */
export function startTrainingSimFleet(o: { nodes: number; dir: string; clock: ManualClock }): Promise<SimFleet> {
  return startSimFleet({
    nodes: o.nodes,
    dir: o.dir,
    port: 0,
    clock: o.clock,
    log: silentLogger(),
    intervalSec: 30,
    training: { tickMs: 50, summaryIntervalMs: 200, hangFloorMs: 2000, ckptStateIntervalMs: 500 },
    // Only the kernel log (for an Xid) among the hardware probes: these tests are about training.
    agentConfig: {
      probes: Object.fromEntries(
        ['host', 'host-hw', 'gpu', 'rdma', 'nvme', 'driver'].map((p) => [p, { enabled: false }]),
      ),
    },
    // The manual clock jumps seconds at a time: no node may be judged lost for it.
    collectorConfig: {
      lostAfterMs: 3_600_000,
      training: { straggler: { sustainMs: 8000, minSamples: 5, staleMs: 5000 } },
    },
  });
}

/** What the collector holds of a job, per node. */
export function jobSummaries(fleet: SimFleet, job: string) {
  return fleet.collector.fleet.jobHistory.get(job)?.nodes ?? {};
}

/**
 * Advance the clock by the job's step time and step, `n` times; after each, wait until the
 * collector saw that very step (its number and its time: after a restart the numbers repeat)
 * from every live node.
 */
export async function stepJob(fleet: SimFleet, clock: ManualClock, job: SimTrainingJob, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    clock.advance(job.stepIntervalMs());
    const r = await job.step();
    expect(r.blocked).toBe(false);
    const live = job.nodes.filter((x) => !job.failedNodes.includes(x));
    await waitFor(
      () =>
        live.every((node) => {
          const s = jobSummaries(fleet, job.name)[node]?.latest;
          return s !== undefined && s.lastStep >= r.step && s.lastProgressAt === clock.now();
        }),
      5000,
      `${job.name} step ${r.step} at the collector`,
    );
  }
}
