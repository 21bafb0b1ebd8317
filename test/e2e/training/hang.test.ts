/**
 * End to end: a synthetic trainer (a real Python process) reports through the REAL Python client
 * into the agent's ingest socket and TrainingMonitor; when it stops reporting, `train.hang` must
 * be raised within 3 step intervals of its last step, and not before.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_DETECTOR_SETTINGS } from '../../../agent/training/detectors/settings.ts';
import { TrainingMonitor } from '../../../agent/training/monitor.ts';
import { systemClock } from '../../../core/clock.ts';
import type { Observation } from '../../../core/finding.ts';
import { silentLogger } from '../../../core/logger.ts';
import { REPO_ROOT, tempDir, waitFor } from '../../helpers/processes.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const INTERVAL_MS = 500;

describe('training hang, end to end through the Python client', () => {
  it('train.hang within 3 step intervals after the trainer stops; quiet while it runs', async () => {
    const dir = tempDir('keelson-e2e-train-');
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const socketPath = join(dir, 'train.sock');
    const seen: { at: number; obs: Observation[] }[] = [];
    const monitor = new TrainingMonitor({
      nodeId: 'node-e2e',
      socketPath,
      clock: systemClock,
      log: silentLogger(),
      tickMs: 20,
      // The 60 s production floor would dominate sub-second steps; everything else is default.
      detectors: { ...DEFAULT_DETECTOR_SETTINGS, hang: { ...DEFAULT_DETECTOR_SETTINGS.hang, floorMs: 100 } },
      onObservations: (obs) => seen.push({ at: Date.now(), obs }),
    });
    await monitor.start();
    cleanups.push(() => monitor.stop());

    const trainer = spawn(
      'python3',
      [
        join(REPO_ROOT, 'test/e2e/training/synthetic_trainer.py'),
        '--steps',
        '25',
        '--interval',
        String(INTERVAL_MS / 1000),
        '--hang-seconds',
        '30',
      ],
      {
        env: {
          ...process.env,
          PYTHONPATH: join(REPO_ROOT, 'clients/python'),
          KEELSON_SOCKET: socketPath,
          RANK: '0',
          WORLD_SIZE: '1',
          KEELSON_JOB: 'e2e-job',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    cleanups.push(() => void trainer.kill('SIGKILL'));
    let out = '';
    trainer.stdout.on('data', (d) => (out += d));
    trainer.stderr.on('data', (d) => (out += d));

    await waitFor(() => monitor.jobsView().jobs[0]?.lastStep === 25, 20_000, `25 steps (trainer output: ${out})`);
    const lastProgressAt = monitor.jobsView().jobs[0]?.lastProgressAt ?? 0;
    const hang = await waitFor(() => seen.find((s) => s.obs.some((o) => o.code === 'train.hang')), 5000, 'train.hang');

    const latency = hang.at - lastProgressAt;
    const view = monitor.jobsView().jobs[0];
    console.log(
      `hang detected ${latency} ms after the last step (${(latency / INTERVAL_MS).toFixed(2)} intervals; timeout ${view?.hangTimeoutMs} ms: ${view?.hangBasis})`,
    );
    expect(latency).toBeLessThanOrEqual(3 * INTERVAL_MS);
    // Nothing at all was raised while the trainer was stepping.
    expect(seen.filter((s) => s.at < lastProgressAt).flatMap((s) => s.obs)).toEqual([]);
    const o = hang.obs.find((x) => x.code === 'train.hang');
    expect(o).toMatchObject({ component: 'job:e2e-job', severity: 'degraded', action: 'restart-job' });
    expect(o?.message).toMatch(/since step 25/);
    expect(monitor.samplesForCollector()[0]).toMatchObject({
      job: 'e2e-job',
      node: 'node-e2e',
      lastStep: 25,
      hung: true,
    });
  });
});
