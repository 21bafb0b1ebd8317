/**
 * A job across two nodes: each node's agent flushes its rank and reports it durable; the
 * collector writes the step's MANIFEST and LATEST on parallel storage only when both ranks are
 * durable, then tells the agents, which mirror the manifest. One rank alone is never committed.
 * The two agents are each other's replication buddies: each rank's memory copy is also held
 * by the other node.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  freePort,
  KeelsonProcess,
  REPO_ROOT,
  startAgent,
  startCollector,
  TEST_TOKEN,
  tempDir,
  waitFor,
} from '../../helpers/processes.ts';

const procs: KeelsonProcess[] = [];
const shm = [mkdtempSync('/dev/shm/keelson-e2e-gc0-'), mkdtempSync('/dev/shm/keelson-e2e-gc1-')];
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  for (const d of shm) rmSync(d, { recursive: true, force: true });
});

const PY = `
import os, sys
sys.path.insert(0, os.path.join(os.environ["REPO"], "clients/python"))
from keelson_ckpt import Checkpointer
rank = int(os.environ["RANK"])
c = Checkpointer("wide", rank, 2)
assert c.save(10, {"w": bytes([rank + 1]) * (1 << 20)}).saved
`;

const LOAD = `
import os, sys, json
sys.path.insert(0, os.path.join(os.environ["REPO"], "clients/python"))
from keelson_ckpt import Checkpointer
got = Checkpointer("wide", 0, 2).load_latest()
print(json.dumps({"step": got[0], "tier": got[3], "first": got[1]["w"][0]}))
`;

describe('global commit across nodes', () => {
  it('commits a step only when every rank of the job is durable, then tells the agents', async () => {
    const dir = tempDir('keelson-gc-');
    const pfs = join(dir, 'pfs');
    mkdirSync(pfs, { recursive: true });
    const collector = await startCollector({ config: { checkpoint: { pfsDir: pfs } } });
    procs.push(collector.proc);
    const ports = [await freePort(), await freePort()];
    const peerNodes = { gc00: `127.0.0.1:${ports[0]}`, gc01: `127.0.0.1:${ports[1]}` };
    const agents = [0, 1].map((i) => {
      const stateDir = join(dir, `n${i}`, 'state');
      const nvme = join(dir, `n${i}`, 'nvme');
      mkdirSync(nvme, { recursive: true });
      const { proc } = startAgent({
        nodeId: `gc0${i}`,
        stateDir,
        collector: { url: collector.wsUrl, token: TEST_TOKEN },
        probes: Object.fromEntries(
          ['host', 'host-hw', 'gpu', 'rdma', 'nvme', 'driver', 'kernel-log'].map((p) => [p, { enabled: false }]),
        ),
        training: { enabled: false },
        checkpoint: {
          enabled: true,
          shmRoot: shm[i],
          nvmeDir: nvme,
          pfsDir: pfs,
          peer: { listenHost: '127.0.0.1', port: ports[i], mode: 'pairs', nodes: peerNodes },
        },
      });
      procs.push(proc);
      return { proc, stateDir, nvme };
    });
    for (const a of agents)
      await waitFor(() => a.proc.output.includes('session with collector established'), 15_000, 'session');
    const save = (i: number) => {
      const r = spawnSync('python3', ['-c', PY], {
        env: {
          ...process.env,
          REPO: REPO_ROOT,
          RANK: String(i),
          KEELSON_CKPT_SHM_ROOT: shm[i]!,
          KEELSON_CKPT_SOCKET: join(agents[i]!.stateDir, 'ckpt.sock'),
        },
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
    };
    const latest = join(pfs, 'wide', 'LATEST');

    save(0);
    // rank 0 becomes durable on both tiers of its node...
    await waitFor(
      () => existsSync(join(pfs, 'wide')) && readdirSync(join(pfs, 'wide')).some((d) => d.startsWith('step-')),
      15_000,
      'rank 0 on pfs',
    );
    await new Promise((r) => setTimeout(r, 1500));
    // ...but half a job is never committed
    expect(existsSync(latest)).toBe(false);

    save(1);
    await waitFor(() => existsSync(latest), 15_000, 'LATEST after both ranks');
    expect(JSON.parse(readFileSync(latest, 'utf8')).step).toBe(10);
    const stepDir = readdirSync(join(pfs, 'wide')).find((d) => /^step-0*10$/.test(d))!;
    const manifest = JSON.parse(readFileSync(join(pfs, 'wide', stepDir, 'MANIFEST.json'), 'utf8'));
    expect(manifest.ranks.map((r: { rank: number; node: string }) => `${r.rank}@${r.node}`).sort()).toEqual([
      '0@gc00',
      '1@gc01',
    ]);
    // the agents mirror the committed manifest onto their NVMe tier
    for (const a of agents) {
      await waitFor(() => existsSync(join(a.nvme, 'wide', stepDir, 'MANIFEST.json')), 10_000, 'manifest mirrored');
    }
    // each node holds its buddy's rank in memory
    const replicaHead = (holder: number, of: string) => {
      const base = join(shm[holder]!, '.peers', of, 'wide');
      return existsSync(base) && readdirSync(base).some((r) => existsSync(join(base, r, 'HEAD')));
    };
    await waitFor(() => replicaHead(1, 'gc00') && replicaHead(0, 'gc01'), 10_000, 'replicas at the buddies');

    // Node gc00 loses its memory and its rank's files: the restore comes from its buddy's memory.
    const n0 = agents[0]!;
    await n0.proc.stop('SIGKILL');
    rmSync(join(shm[0]!, 'wide'), { recursive: true, force: true });
    for (const root of [n0.nvme, pfs]) rmSync(join(root, 'wide', stepDir, 'rank-00000.data'), { force: true });
    const cfg = join(dir, 'n0-ckpt.yaml');
    writeFileSync(
      cfg,
      `nodeId: gc00\ncheckpoint:\n  enabled: true\n  shmRoot: ${shm[0]}\n  nvmeDir: ${n0.nvme}\n  pfsDir: ${pfs}\n`,
    );
    const into = join(dir, 'restored');
    const restore = new KeelsonProcess([
      'ckpt',
      'restore',
      'wide',
      '--rank',
      '0',
      '--into',
      into,
      '--peer',
      peerNodes.gc01,
      '--config',
      cfg,
    ]);
    expect(await restore.exited, restore.output).toBe(0);
    expect(restore.output).toMatch(/restored job wide rank 0 step 10 from peer/);
    const data = readFileSync(join(into, 'rank-00000.data'));
    expect(data.length).toBe(1 << 20);
    expect(data.every((b) => b === 1)).toBe(true);
    // and the trainer's own load_latest finds it there too
    const load = spawnSync('python3', ['-c', LOAD], {
      env: {
        ...process.env,
        REPO: REPO_ROOT,
        KEELSON_CKPT_SHM_ROOT: shm[0]!,
        KEELSON_CKPT_NVME_DIR: n0.nvme,
        KEELSON_CKPT_PFS_DIR: pfs,
        KEELSON_CKPT_PEER: peerNodes.gc01,
        KEELSON_NODE: 'gc00',
      },
      encoding: 'utf8',
    });
    expect(load.status, load.stderr).toBe(0);
    expect(JSON.parse(load.stdout)).toEqual({ step: 10, tier: 'peer', first: 1 });
  }, 60_000);
});
