/** TrainingMonitor: samples and log lines in, the complete observation set per tick out. */
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { silentLogger } from '../../core/logger.ts';
import { tempDir, waitFor } from '../../test/helpers/processes.ts';
import { DEFAULT_DETECTOR_SETTINGS } from './detectors/settings.ts';
import { TrainingMonitor } from './monitor.ts';
import { trainingSummarySchema } from './summary.ts';

const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

const detectors = { ...DEFAULT_DETECTOR_SETTINGS, hang: { ...DEFAULT_DETECTOR_SETTINGS.hang, floorMs: 500 } };

describe('TrainingMonitor', () => {
  it('a steady job is quiet; when it stops, train.hang; steps again clear it', () => {
    const clock = new ManualClock(0);
    const m = new TrainingMonitor({ nodeId: 'n1', clock, log: silentLogger(), detectors });
    for (let s = 1; s <= 30; s++) {
      clock.set(s * 1000);
      m.addSample({ job: 'j', rank: 0, step: s, loss: 5 - s * 0.01, receivedAt: clock.now(), source: 'socket' });
    }
    clock.set(31_000);
    expect(m.tick()).toEqual([]);
    clock.set(34_500);
    expect(m.tick().map((o) => o.code)).toEqual(['train.hang']);
    expect(m.samplesForCollector()).toEqual([
      {
        job: 'j',
        node: 'n1',
        ranks: 1,
        lastStep: 30,
        stepTimeMs: 1000,
        lastProgressAt: 30_000,
        phase: 'train',
        hung: true,
        loss: 4.7,
      },
    ]);
    expect(trainingSummarySchema.parse(m.samplesForCollector()[0])).toBeTruthy();
    m.addSample({ job: 'j', rank: 0, step: 31, receivedAt: clock.now(), source: 'socket' });
    expect(m.tick()).toEqual([]);
    expect(m.jobsView().jobs[0]).toMatchObject({ job: 'j', lastStep: 31, ended: false, findings: [] });
  });

  it('a loss spike is reported once; NaN holds while it lasts', () => {
    const clock = new ManualClock(0);
    const m = new TrainingMonitor({ nodeId: 'n1', clock, log: silentLogger(), detectors });
    const add = (step: number, loss: number) => {
      clock.set(step * 1000);
      m.addSample({ job: 'j', rank: 0, step, loss, receivedAt: clock.now(), source: 'socket' });
    };
    for (let s = 1; s <= 20; s++) add(s, 3 + 0.01 * Math.sin(s));
    add(21, 9);
    expect(m.tick().map((o) => o.code)).toEqual(['train.loss.spike']);
    expect(m.tick()).toEqual([]);
    add(22, Number.NaN);
    expect(m.tick().map((o) => o.code)).toEqual(['train.loss.nan']);
    expect(m.tick().map((o) => o.code)).toEqual(['train.loss.nan']);
  });

  it('tails a log: steps become samples, error lines become diagnoses', async () => {
    const dir = tempDir('keelson-mon-');
    stops.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'rank0.log');
    writeFileSync(file, '');
    const clock = new ManualClock(1000);
    const m = new TrainingMonitor({
      nodeId: 'n1',
      clock,
      log: silentLogger(),
      logs: [{ path: file, job: 'mlm', startAt: 'start' }],
      logPollMs: 20,
      tickMs: 60_000,
    });
    await m.start();
    stops.push(() => m.stop());
    appendFileSync(
      file,
      ' iteration       10/    1000 | elapsed time per iteration (ms): 1600.0 | lm loss: 8.1E+00 |\n' +
        ' iteration       20/    1000 | elapsed time per iteration (ms): 1610.0 | lm loss: 8.0E+00 |\n' +
        'RuntimeError: NCCL error in: ProcessGroupNCCL.cpp:825, unhandled system error, NCCL version 2.7.8\n',
    );
    await waitFor(() => m.jobsView().jobs[0]?.lastStep === 20, 3000);
    const obs = m.tick();
    expect(obs.map((o) => o.code)).toEqual(['train.diag.nccl_system_error']);
    expect(obs[0]?.component).toBe('job:mlm');
    expect(m.tick()).toEqual([]);
  });
});
