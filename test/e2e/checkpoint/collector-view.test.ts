/**
 * Checkpoint status at the collector: a trainer reports steps and saves checkpoints through the
 * Python clients; its agent flushes and commits and streams `ckpt-state`; the collector's job
 * view (the dashboard's job page) shows the committed step and the newest step per tier.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  getJson,
  type KeelsonProcess,
  REPO_ROOT,
  startAgent,
  startCollector,
  TEST_TOKEN,
  tempDir,
  waitFor,
} from '../../helpers/processes.ts';

const procs: KeelsonProcess[] = [];
const shmRoot = mkdtempSync('/dev/shm/keelson-e2e-view-');
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  rmSync(shmRoot, { recursive: true, force: true });
});

const PY = `
import os, sys
sys.path.insert(0, os.path.join(os.environ["REPO"], "clients/python"))
import keelson
from keelson_ckpt import Checkpointer
c = Checkpointer("job2", 0, 1)
for step in range(1, 31):
    keelson.report(step, loss=3.0 - step * 0.01)
    if step % 10 == 0:
        assert c.save(step, {"w": bytes([step]) * (1 << 20)}).saved
`;

interface JobDetail {
  job: { id: string; step: number };
  loss: { values: (number | null)[] };
  checkpoint: { committedStep?: number; tiers: { tier: string; newestStep?: number }[] } | null;
}

describe('checkpoint status in the job view', () => {
  it('shows the committed step and the newest step per tier', async () => {
    const collector = await startCollector();
    procs.push(collector.proc);
    const dir = tempDir('keelson-ckpt-view-');
    const stateDir = join(dir, 'state');
    const nvmeDir = join(dir, 'nvme');
    const pfsDir = join(dir, 'pfs');
    mkdirSync(nvmeDir, { recursive: true });
    mkdirSync(pfsDir, { recursive: true });
    const { proc: agent } = startAgent({
      nodeId: 'cv01',
      stateDir,
      collector: { url: collector.wsUrl, token: TEST_TOKEN },
      probes: Object.fromEntries(
        ['host', 'host-hw', 'gpu', 'rdma', 'nvme', 'driver', 'kernel-log'].map((p) => [p, { enabled: false }]),
      ),
      training: { summaryIntervalMs: 250 },
      checkpoint: { enabled: true, shmRoot, nvmeDir, pfsDir, stateIntervalMs: 300 },
    });
    procs.push(agent);
    await waitFor(() => agent.output.includes('session with collector established'), 15_000, 'agent session');
    const r = spawnSync('python3', ['-c', PY], {
      env: {
        ...process.env,
        REPO: REPO_ROOT,
        KEELSON_SOCKET: join(stateDir, 'train.sock'),
        KEELSON_JOB: 'job2',
        RANK: '0',
        KEELSON_CKPT_SHM_ROOT: shmRoot,
        KEELSON_CKPT_SOCKET: join(stateDir, 'ckpt.sock'),
      },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const view = await waitFor(
      async () => {
        const d = await getJson<JobDetail>(`${collector.url}/api/jobs/job2`).catch(() => undefined);
        return d?.checkpoint?.committedStep === 30 ? d : undefined;
      },
      40_000,
      'committed step 30 in the job view',
    ).catch(async (err) => {
      const last = await getJson<JobDetail>(`${collector.url}/api/jobs/job2`).catch((e) => String(e));
      throw new Error(
        `${(err as Error).message}; job view: ${JSON.stringify(last)}; agent: ${agent.output.slice(-3000)}`,
      );
    });
    expect(view.checkpoint?.tiers.find((t) => t.tier === 'pfs')?.newestStep).toBe(30);
    expect(view.job.step).toBe(30);
    expect(view.loss.values.some((v) => v !== null)).toBe(true);
  }, 60_000);
});
