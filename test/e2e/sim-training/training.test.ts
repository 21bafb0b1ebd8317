/**
 * Synthetic training jobs on the simulated fleet, end to end with a MANUAL clock: real agents
 * take the ranks' reports over their unix sockets and flush the ranks' checkpoints, the real
 * collector commits them, raises train.hang / train.straggler and isolates a node after an
 * Xid 79 (record-only); the simulator restarts jobs from the last committed step, locally
 * through the agents' restart hook or on a spare node after an isolation. Every report is
 * stamped with the time the test set.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepDirName } from '../../../checkpoint-lib/format.ts';
import { ManualClock } from '../../../core/clock.ts';
import type { SimFleet } from '../../../sim/fleet.ts';
import { applyStep } from '../../../sim/scenarios.ts';
import type { SimTrainingJob } from '../../../sim/training.ts';
import { getJson, tempDir, waitFor } from '../../helpers/processes.ts';
import { jobSummaries, startTrainingSimFleet, stepJob } from '../../helpers/sim-training.ts';

const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);
const clock = new ManualClock(T0);
let fleet: SimFleet;
let url: string;

interface ApiFinding {
  node: string;
  code: string;
  component: string;
  active: boolean;
}

beforeAll(async () => {
  fleet = await startTrainingSimFleet({ nodes: 6, dir: tempDir('keelson-simtrain-'), clock });
  url = fleet.collector.url;
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
});

const pfsLatest = (job: string): number | undefined => {
  const p = join(fleet.pfsDir, job, 'LATEST');
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as { step: number }).step : undefined;
};
const manifestPath = (job: string, step: number) => join(fleet.pfsDir, job, stepDirName(step), 'MANIFEST.json');

/** Summaries the collector holds for the job, per node. */
const summaries = (job: string) => jobSummaries(fleet, job);
const steps = (job: SimTrainingJob, n: number) => stepJob(fleet, clock, job, n);

const active = async (code: string) =>
  (await getJson<{ findings: ApiFinding[] }>(`${url}/api/findings?code=${code}&active=true`)).findings;

describe('training jobs on the simulated fleet', () => {
  it('a 2-node × 2-rank job steps, the collector shows its steps, and checkpoints are committed', async () => {
    const job = await fleet.training.startJob({
      job: 'sim-a',
      nodes: ['node01', 'node02'],
      ranksPerNode: 2,
      checkpointEvery: 5,
    });
    await steps(job, 12);
    expect(job.lastStep).toBe(12);
    await waitFor(() => pfsLatest('sim-a') === 10, 10_000, 'LATEST = 10');
    const manifest = JSON.parse(readFileSync(manifestPath('sim-a', 10), 'utf8')) as {
      world: number;
      ranks: { rank: number; node: string }[];
    };
    expect(manifest.world).toBe(4);
    expect(manifest.ranks.map((r) => `${r.rank}@${r.node}`)).toEqual(['0@node01', '1@node01', '2@node02', '3@node02']);
    const view = await getJson<{ job: { step: number; nodes: string[]; ranks: number; lastStepAt: number } }>(
      `${url}/api/jobs/sim-a`,
    );
    expect(view.job).toMatchObject({ step: 12, nodes: ['node01', 'node02'], ranks: 4 });
    // The last step was reported at exactly the time the test set.
    expect(view.job.lastStepAt).toBe(clock.now());
    expect(summaries('sim-a').node01?.latest.stepTimeMs).toBe(1000);
    await job.stop();
  }, 20_000);

  it('a hang is train.hang at the collector; the agents restart the job from the last committed step', async () => {
    const job = await fleet.training.startJob({
      job: 'sim-b',
      nodes: ['node01', 'node02'],
      ranksPerNode: 2,
      checkpointEvery: 5,
    });
    await steps(job, 8);
    await waitFor(() => pfsLatest('sim-b') === 5, 10_000, 'LATEST = 5');
    job.hang();
    expect((await job.step()).blocked).toBe(true);
    // 2.5 × the 1 s step interval, then the agents' detectors say so.
    clock.advance(3000);
    const hangs = await waitFor(
      async () => {
        const f = (await active('train.hang')).filter((x) => x.component === 'job:sim-b');
        return f.length === 2 ? f : undefined;
      },
      10_000,
      'train.hang on both nodes',
    );
    expect(hangs.map((f) => f.node).sort()).toEqual(['node01', 'node02']);
    // The collector's job flow sends job.restart; the agents' hook asks the simulator to restart.
    const restart = await waitFor(() => job.restarts[0], 10_000, 'a local restart');
    expect(restart).toMatchObject({ cause: 'local', restoredFrom: 5, abandonedStep: 8, blockedBy: [] });
    expect(fleet.training.localRequests.some((r) => r.job === 'sim-b' && r.verdict === 'restart')).toBe(true);
    // …and the collector's audit records the agent carrying it out.
    await waitFor(
      () =>
        fleet.collector.isolation
          .audit()
          .some((e) => e.what === 'restart-job' && e.result === 'done' && e.detail?.job === 'sim-b'),
      10_000,
      'restart-job done in the audit',
    );
    expect(job.hung).toBe(false);
    await steps(job, 4);
    expect(job.lastStep).toBe(9);
    expect(summaries('sim-b').node02?.latest.restoredFrom).toBe(5);
    await waitFor(
      async () => (await active('train.hang')).every((f) => f.component !== 'job:sim-b'),
      10_000,
      'hang cleared',
    );
    expect(job.restarts).toHaveLength(1);
    await job.stop();
  }, 20_000);

  it('a straggler is train.straggler on that node only', async () => {
    const job = await fleet.training.startJob({
      job: 'sim-c',
      nodes: ['node01', 'node02', 'node03', 'node04'],
      ranksPerNode: 2,
      checkpointEvery: 0,
    });
    await steps(job, 8);
    job.slow('node03', 1.5);
    expect(job.stepIntervalMs()).toBe(1500);
    // The node's median step time turns after ~10 slow steps; then the collector needs its sustain window (8 s).
    await steps(job, 18);
    const found = await waitFor(
      async () => {
        const f = (await active('train.straggler')).filter((x) => x.component === 'job:sim-c');
        return f.length ? f : undefined;
      },
      5000,
      'train.straggler',
    );
    expect(found.map((f) => f.node)).toEqual(['node03']);
    await steps(job, 2);
    expect((await active('train.straggler')).filter((x) => x.component === 'job:sim-c').map((f) => f.node)).toEqual([
      'node03',
    ]);
    await job.stop();
  }, 25_000);

  it('an Xid 79 mid-training: the node is isolated and the job resumes on a spare from the last committed step', async () => {
    const job = await fleet.training.startJob({
      job: 'sim-d',
      nodes: ['node01', 'node02'],
      ranksPerNode: 2,
      checkpointEvery: 5,
    });
    await steps(job, 7);
    await waitFor(() => pfsLatest('sim-d') === 5, 10_000, 'LATEST = 5');
    const what = await applyStep(
      { atSec: 0, node: 1, fault: 'xid-mid-training', gpu: 2 },
      fleet.nodes,
      clock.now(),
      fleet.training,
    );
    expect(what).toMatch(/node02: Xid 79 on GPU 2 while training sim-d at step 7/);
    expect(job.failedNodes).toEqual(['node02']);
    expect((await job.step()).blocked).toBe(true);
    await waitFor(
      () => fleet.collector.isolation.nodes().find((n) => n.node === 'node02' && n.record?.status === 'isolated'),
      15_000,
      'node02 isolated',
    );
    const restart = await waitFor(() => job.restarts[0], 10_000, 'the job rescheduled');
    expect(restart).toMatchObject({ cause: 'isolated', restoredFrom: 5, abandonedStep: 7, blockedBy: [] });
    expect(restart.replaced?.failed).toBe('node02');
    const spare = restart.replaced?.spare ?? '';
    expect(spare).not.toBe('node02');
    expect(job.nodes).toEqual(['node01', spare]);
    // Ranks 2 and 3 were read on the spare, which never held them: from parallel storage.
    expect(restart.tiers).toMatchObject({ 2: 'pfs', 3: 'pfs' });
    await steps(job, 3);
    expect(job.lastStep).toBe(8);
    expect(summaries('sim-d')[spare]?.latest).toMatchObject({ lastStep: 8, restoredFrom: 5 });
    await job.stop();
  }, 25_000);

  it('a node lost during a checkpoint: that step is never committed, the job resumes from the previous one', async () => {
    const job = await fleet.training.startJob({
      job: 'sim-e',
      nodes: ['node04', 'node05'],
      ranksPerNode: 2,
      checkpointEvery: 5,
    });
    await steps(job, 7);
    await waitFor(() => pfsLatest('sim-e') === 5, 10_000, 'LATEST = 5');
    await applyStep({ atSec: 0, node: 4, fault: 'ckpt-node-fail', gpu: 5 }, fleet.nodes, clock.now(), fleet.training);
    await steps(job, 2);
    clock.advance(job.stepIntervalMs());
    const r = await job.step();
    expect(r.checkpoint).toMatchObject({ step: 10, saved: [0, 1, 2], failedNode: 'node05' });
    // Both nodes flush what they have of step 10 — three ranks of four — and it is never committed.
    const step10 = join(fleet.pfsDir, 'sim-e', stepDirName(10));
    await waitFor(
      () => existsSync(join(step10, 'node-node04.json')) && existsSync(join(step10, 'node-node05.json')),
      10_000,
      'partial step 10 on parallel storage',
    );
    const restart = await waitFor(() => job.restarts[0], 15_000, 'the job rescheduled after the Xid');
    expect(restart).toMatchObject({ cause: 'isolated', restoredFrom: 5, abandonedStep: 10 });
    expect(restart.replaced?.failed).toBe('node05');
    expect(existsSync(manifestPath('sim-e', 10))).toBe(false);
    expect(pfsLatest('sim-e')).toBe(5);
    await steps(job, 4);
    expect(job.lastStep).toBe(9);
    expect(existsSync(manifestPath('sim-e', 10))).toBe(false);
    const spare = restart.replaced?.spare ?? '';
    expect(summaries('sim-e')[spare]?.latest).toMatchObject({ lastStep: 9, restoredFrom: 5 });
    // Stepping on, step 10 is saved again — by every rank this time — and committed.
    await steps(job, 1);
    await waitFor(() => pfsLatest('sim-e') === 10, 10_000, 'LATEST = 10 after the restart');
    const m = JSON.parse(readFileSync(manifestPath('sim-e', 10), 'utf8')) as {
      ranks: { rank: number; node: string }[];
    };
    expect(m.ranks.filter((x) => x.rank >= 2).map((x) => x.node)).toEqual([spare, spare]);
    await job.stop();
  }, 25_000);
});
