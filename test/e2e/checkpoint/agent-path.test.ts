/**
 * The checkpoint path through a real agent process: a Python trainer saves through the real
 * client into shm slots and notifies the agent; the agent flushes to the NVMe and parallel
 * storage directories and commits; `keelson ckpt` lists, verifies and restores it; the
 * client's load_latest reads it back; a flipped byte on one tier falls back to another.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KeelsonProcess, REPO_ROOT, startAgent, tempDir, waitFor } from '../../helpers/processes.ts';

const procs: KeelsonProcess[] = [];
const shmRoot = mkdtempSync('/dev/shm/keelson-e2e-');
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  rmSync(shmRoot, { recursive: true, force: true });
});

const PY = `
import os, sys, json
sys.path.insert(0, os.path.join(os.environ["REPO"], "clients/python"))
from keelson_ckpt import Checkpointer
c = Checkpointer("job1", 0, 1)
op = sys.argv[1]
if op == "save":
    for step in (10, 20):
        r = c.save(step, {"weights": bytes([step % 256]) * (3 << 20), "opt": b"adam-state-%d" % step})
        assert r.saved, r
    print("saved")
else:
    got = c.load_latest()
    print(json.dumps({"step": got[0], "weights0": got[1]["weights"][0], "opt": got[1]["opt"].decode(), "tier": got[3]}))
`;

function python(op: string, env: Record<string, string>) {
  const r = spawnSync('python3', ['-c', PY, op], {
    env: { ...process.env, REPO: REPO_ROOT, ...env },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`python ${op} failed: ${r.stderr}`);
  return r.stdout.trim();
}

describe('checkpoints through the agent', () => {
  it('saves, flushes, commits, lists, verifies, restores and falls back past a corrupt copy', async () => {
    const dir = tempDir('keelson-ckpt-e2e-');
    const stateDir = join(dir, 'state');
    const nvmeDir = join(dir, 'nvme');
    const pfsDir = join(dir, 'pfs');
    // The tiers are mounted filesystems: they exist before the agent starts (a missing one is "unavailable").
    mkdirSync(nvmeDir, { recursive: true });
    mkdirSync(pfsDir, { recursive: true });
    const checkpoint = { enabled: true, shmRoot, nvmeDir, pfsDir };
    const { proc: agent } = startAgent({
      nodeId: 'ck01',
      stateDir,
      probes: Object.fromEntries(
        ['host', 'host-hw', 'gpu', 'rdma', 'nvme', 'driver', 'kernel-log'].map((p) => [p, { enabled: false }]),
      ),
      training: { enabled: false },
      checkpoint,
    });
    procs.push(agent);
    await waitFor(() => agent.output.includes('agent started'), 15_000, 'agent started');
    const env = {
      KEELSON_CKPT_SHM_ROOT: shmRoot,
      KEELSON_CKPT_SOCKET: join(stateDir, 'ckpt.sock'),
      KEELSON_CKPT_NVME_DIR: nvmeDir,
      KEELSON_CKPT_PFS_DIR: pfsDir,
    };
    expect(python('save', env)).toBe('saved');

    const latest = join(pfsDir, 'job1', 'LATEST');
    await waitFor(
      () => {
        try {
          return JSON.parse(readFileSync(latest, 'utf8')).step === 20;
        } catch {
          return false;
        }
      },
      20_000,
      'LATEST at step 20 on parallel storage',
    );

    const cfg = join(dir, 'ckpt.yaml');
    writeFileSync(
      cfg,
      `stateDir: ${stateDir}\ncheckpoint:\n  enabled: true\n  shmRoot: ${shmRoot}\n  nvmeDir: ${nvmeDir}\n  pfsDir: ${pfsDir}\n`,
    );
    const cli = async (...args: string[]) => {
      const p = new KeelsonProcess(['ckpt', ...args, '--config', cfg]);
      return { code: await p.exited, out: p.output };
    };
    const ls = await cli('ls');
    expect(ls.code).toBe(0);
    expect(ls.out).toMatch(/job1/);
    expect(ls.out).toMatch(/20/);
    expect((await cli('verify', 'job1')).code).toBe(0);
    const into = join(dir, 'restored');
    expect((await cli('restore', 'job1', '--rank', '0', '--into', into)).code).toBe(0);
    expect(readdirSync(into).some((f) => f.endsWith('.data'))).toBe(true);

    // The trainer restarts: load_latest gives step 20 from the fastest verified tier.
    expect(JSON.parse(python('load', env))).toMatchObject({ step: 20, weights0: 20, opt: 'adam-state-20' });

    // Flip a byte in the NVMe copy and drop the memory copy: restore falls back to parallel storage.
    rmSync(join(shmRoot, 'job1'), { recursive: true, force: true });
    const stepDir = readdirSync(join(nvmeDir, 'job1')).find((d) => /^step-0*20$/.test(d));
    expect(stepDir).toBeDefined();
    const nvmeStep = join(nvmeDir, 'job1', stepDir!);
    const dataFile = readdirSync(nvmeStep).find((f) => f.endsWith('.data'));
    expect(dataFile).toBeDefined();
    const buf = readFileSync(join(nvmeStep, dataFile!));
    buf[100] = buf[100]! ^ 0xff;
    writeFileSync(join(nvmeStep, dataFile!), buf);
    expect(JSON.parse(python('load', env))).toMatchObject({ step: 20, weights0: 20, tier: 'pfs' });
    expect((await cli('verify', 'job1', '--step', '20')).code).toBe(2);
  }, 60_000);
});
