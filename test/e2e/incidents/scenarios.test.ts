/**
 * Incidents end to end on the simulated fleet with a MANUAL clock: real agents take the ranks'
 * reports and the kernel log, the real collector raises findings, isolates (record-only) and
 * restarts jobs, and its incident tracker turns that into timelines. Every time below is one the
 * test set on the clock, so the timeline, culprit, category and lost time are asserted exactly;
 * then the collector is restarted on the same database and serves the same figures.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveCollectorConfig } from '../../../collector/config.ts';
import { CollectorDaemon } from '../../../collector/daemon.ts';
import type { Incident, StabilityStats } from '../../../collector/incidents/types.ts';
import { ManualClock } from '../../../core/clock.ts';
import { silentLogger } from '../../../core/logger.ts';
import type { SimFleet } from '../../../sim/fleet.ts';
import { applyStep } from '../../../sim/scenarios.ts';
import type { SimTrainingJob } from '../../../sim/training.ts';
import { getJson, tempDir, waitFor } from '../../helpers/processes.ts';
import { startTrainingSimFleet, stepJob } from '../../helpers/sim-training.ts';

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0);
const clock = new ManualClock(T0);
const dir = tempDir('keelson-incidents-');
let fleet: SimFleet | undefined;
let url: string;

beforeAll(async () => {
  fleet = await startTrainingSimFleet({ nodes: 8, dir, clock });
  url = fleet.collector.url;
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
});

const sim = () => fleet!;
const steps = (job: SimTrainingJob, n: number) => stepJob(sim(), clock, job, n);

const incidentOf = async (job: string): Promise<Incident | undefined> =>
  (await getJson<{ incidents: Incident[] }>(`${url}/api/incidents`)).incidents.find((i) => i.job === job);

const recovered = (job: string) =>
  waitFor(
    async () => {
      const i = await incidentOf(job);
      return i?.status === 'recovered' ? i : undefined;
    },
    10_000,
    `the ${job} incident recovered`,
  );

const HOUR = 3_600_000;

describe('incidents through the simulated fleet', () => {
  it('an Xid 79 mid-training: isolated, restarted on a spare from the checkpoint; exact timeline and cost', async () => {
    const job = await sim().training.startJob({
      job: 'inc-xid',
      nodes: ['node01', 'node02'],
      ranksPerNode: 2,
      checkpointEvery: 5,
    });
    await steps(job, 7);
    const lastGood = clock.now();
    clock.advance(400);
    const tXid = clock.now();
    await applyStep({ atSec: 0, node: 1, fault: 'xid-mid-training', gpu: 2 }, sim().nodes, tXid, sim().training);
    const restart = await waitFor(() => job.restarts[0], 15_000, 'the job rescheduled on a spare');
    expect(restart).toMatchObject({ cause: 'isolated', restoredFrom: 5, abandonedStep: 7 });
    await steps(job, 2);
    const i = await recovered('inc-xid');
    expect(i.timeline).toEqual({
      firstEvidence: lastGood,
      detected: tXid,
      identified: tXid,
      mitigated: tXid,
      recovered: tXid + 1000,
    });
    // With no nvidia-smi to map it to an index, the kernel log names the GPU by its PCI address.
    expect(i.culprit).toEqual({ node: 'node02', component: 'gpu:0000:3a:00.0', code: 'gpu.xid.79' });
    expect(i.category).toBe('gpu');
    expect(i.rootCode).toBe('gpu.xid.79');
    expect(i).toMatchObject({
      stalled: true,
      stepReached: 7,
      restoredStep: 5,
      restoredSource: 'reported',
      stepTimeMs: 1000,
      gpus: 4,
    });
    expect(i.lost).toEqual({
      detection: 400,
      identification: 0,
      recovery: 1000,
      recompute: 2000,
      slowdown: 0,
      total: 1400 + 2000,
      gpuHours: (3400 * 4) / HOUR,
    });
    await job.stop();
  }, 40_000);

  it('a hang resolved by a local restart: detected by the agents, mitigated by the job flow, nothing to blame', async () => {
    const job = await sim().training.startJob({
      job: 'inc-hang',
      nodes: ['node03', 'node04'],
      ranksPerNode: 2,
      checkpointEvery: 5,
    });
    await steps(job, 8);
    const lastGood = clock.now();
    job.hang();
    expect((await job.step()).blocked).toBe(true);
    clock.advance(3000);
    const tHang = clock.now();
    const restart = await waitFor(() => job.restarts[0], 15_000, 'a local restart');
    expect(restart).toMatchObject({ cause: 'local', restoredFrom: 5, abandonedStep: 8 });
    await steps(job, 2);
    const i = await recovered('inc-hang');
    expect(i.timeline).toEqual({ firstEvidence: lastGood, detected: tHang, mitigated: tHang, recovered: tHang + 1000 });
    expect(i.culprit).toBeUndefined();
    expect(i.category).toBe('unknown');
    expect(i.codes).toEqual(['train.hang']);
    // Whichever agent saw the hang first got the job restarted; the other may not have said so in time.
    expect(i.nodes.length).toBeGreaterThan(0);
    expect(['node03', 'node04']).toEqual(expect.arrayContaining(i.nodes));
    expect(i.lost).toMatchObject({
      detection: 3000,
      identification: 0,
      recovery: 1000,
      recompute: 3000,
      total: 4000 + 3000,
    });
    await job.stop();
  }, 40_000);

  it('a straggler: its extra step time is the cost until an operator takes it out and the job restarts', async () => {
    const job = await sim().training.startJob({
      job: 'inc-slow',
      nodes: ['node05', 'node06', 'node07', 'node08'],
      ranksPerNode: 2,
      checkpointEvery: 5,
    });
    await steps(job, 8);
    job.slow('node07', 1.5);
    let open: Incident | undefined;
    for (let n = 0; n < 30 && !open; n++) {
      await steps(job, 1);
      // The analyzer runs on the collector's timer: give it a moment at this clock reading.
      open = await waitFor(() => incidentOf('inc-slow'), 1500, 'a straggler incident').catch(() => undefined);
    }
    expect(open).toBeDefined();
    const straggler = sim()
      .collector.fleet.nodeDetail('node07')
      ?.findings.find((f) => f.code === 'train.straggler');
    expect(straggler).toBeDefined();
    const tDetected = open!.timeline.detected;
    expect(open!.timeline).toEqual({ firstEvidence: straggler!.firstSeen, detected: tDetected, identified: tDetected });
    expect(open!.culprit).toEqual({ node: 'node07', code: 'train.straggler' });
    expect(open!.stalled).toBe(false);
    const before = open!.slowdownMs ?? 0;
    await steps(job, 4);
    const lastGood = clock.now();
    const during = await incidentOf('inc-slow');
    // Each step the straggler made cost 1500 − 1000 ms.
    expect((during!.slowdownMs ?? 0) - before).toBe(4 * 500);
    const stepReached = job.lastStep;
    clock.advance(200);
    const tIso = clock.now();
    await sim().collector.isolation.isolate('node07', 'straggler', 'test');
    const restart = await waitFor(() => job.restarts[0], 15_000, 'the job rescheduled without node07');
    await steps(job, 1);
    const i = await recovered('inc-slow');
    expect(i.timeline).toEqual({
      firstEvidence: straggler!.firstSeen,
      detected: tDetected,
      identified: tDetected,
      mitigated: tIso,
      recovered: tIso + 1000,
    });
    expect(i.category).toBe('unknown');
    expect(i).toMatchObject({
      stalled: true,
      stepReached,
      restoredStep: restart.restoredFrom,
      lastGoodStepAt: lastGood,
    });
    const recompute = (stepReached - restart.restoredFrom!) * 1000;
    expect(i.lost).toMatchObject({
      slowdown: before + 2000,
      recompute,
      total: tIso + 1000 - lastGood + recompute + before + 2000,
    });
    await job.stop();
  }, 90_000);

  it('the incidents and the figures survive a collector restart', async () => {
    const listBefore = (await getJson<{ incidents: Incident[] }>(`${url}/api/incidents`)).incidents;
    const statsBefore = await getJson<StabilityStats>(`${url}/api/incidents/stats?since=${T0}`);
    expect(listBefore.map((i) => i.job).sort()).toEqual(['inc-hang', 'inc-slow', 'inc-xid']);
    expect(statsBefore.incidents).toBe(3);
    expect(statsBefore.byCategory).toMatchObject({ gpu: 1, unknown: 2 });
    const xid = listBefore.find((i) => i.job === 'inc-xid')!;
    const hang = listBefore.find((i) => i.job === 'inc-hang')!;
    const slow = listBefore.find((i) => i.job === 'inc-slow')!;
    expect(statsBefore.mttd).toBe(
      Math.round((400 + 3000 + (slow.timeline.detected - slow.timeline.firstEvidence)) / 3),
    );
    const ttr = (i: Incident) => i.timeline.recovered! - i.timeline.firstEvidence;
    expect(statsBefore.mttr).toBe(Math.round((ttr(xid) + ttr(hang) + ttr(slow)) / 3));
    expect(statsBefore.lost.total).toBe(xid.lost!.total + hang.lost!.total + slow.lost!.total);
    const metricsBefore = await (await fetch(`${url}/metrics`)).text();
    expect(metricsBefore).toMatch(/keelson_incidents\{window="7d",category="gpu"\} 1/);

    await sim().stop();
    fleet = undefined;
    const collector = new CollectorDaemon({
      config: resolveCollectorConfig({
        env: { KEELSON_TOKEN: 'x'.repeat(32) },
        flags: { port: 0 },
        defaults: { dataDir: join(dir, 'collector') },
      }),
      log: silentLogger(),
      clock,
    });
    await collector.start();
    try {
      const after = `${collector.url}/api/incidents`;
      expect((await getJson<{ incidents: Incident[] }>(after)).incidents).toEqual(listBefore);
      const statsAfter = await getJson<StabilityStats>(`${collector.url}/api/incidents/stats?since=${T0}`);
      expect(statsAfter).toEqual(statsBefore);
      expect(statsAfter.goodput.map((g) => g.job).sort()).toEqual(['inc-hang', 'inc-slow', 'inc-xid']);
    } finally {
      await collector.stop();
    }
  }, 60_000);
});
