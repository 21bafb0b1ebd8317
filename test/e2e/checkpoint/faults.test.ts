/**
 * Checkpoint faults with real files: a full disk (a real 8 MiB tmpfs), parallel storage that
 * disappears, a trainer that dies right after saving (a real Python process killed), and a
 * flipped byte found by restore.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FlushEngine } from '../../../agent/checkpoint/flush-engine.ts';
import { LocalCommitter } from '../../../agent/checkpoint/local-commit.ts';
import { listCommitted, memorySource, restoreRank, tierSource } from '../../../agent/checkpoint/restore.ts';
import { DirTier } from '../../../agent/checkpoint/tier.ts';
import { tierPaths } from '../../../checkpoint-lib/format.ts';
import { Checkpointer } from '../../../checkpoint-lib/writer.ts';
import { REPO_ROOT, waitFor } from '../../helpers/processes.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function dirs() {
  const shm = mkdtempSync('/dev/shm/keelson-fault-');
  const disk = mkdtempSync(join(tmpdir(), 'kfault-'));
  cleanup.push(
    () => rmSync(shm, { recursive: true, force: true }),
    () => rmSync(disk, { recursive: true, force: true }),
  );
  return { shm, disk };
}

function engineFor(shm: string, disk: string, tiers: DirTier[]) {
  const committer = new LocalCommitter({ commitTier: tiers[tiers.length - 1]!, mirrorTiers: tiers.slice(0, -1) });
  const engine = new FlushEngine({
    node: 'n1',
    shmRoot: shm,
    tiers,
    journalPath: join(disk, 'journal'),
    retryMs: 100,
    scanMs: 100,
    onDurable: (r) => void committer.report(r),
  });
  cleanup.push(() => engine.stop());
  return { engine, committer };
}

const mountable = (() => {
  const d = mkdtempSync(join(tmpdir(), 'kmnt-probe-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', d]);
  if (r.status === 0) spawnSync('umount', [d]);
  rmSync(d, { recursive: true, force: true });
  return r.status === 0;
})();

describe('checkpoint faults', () => {
  it.skipIf(!mountable)(
    'disk full: the tier pauses with ckpt.tier.unavailable, memory stays, flushing resumes',
    async () => {
      const { shm, disk } = dirs();
      const nvme = join(disk, 'nvme');
      mkdirSync(nvme);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', nvme]);
      cleanup.push(() => void spawnSync('umount', ['-l', nvme]));
      const filler = join(nvme, 'filler');
      writeFileSync(filler, Buffer.alloc(7 << 20));
      const tier = new DirTier('nvme', nvme);
      const { engine } = engineFor(shm, disk, [tier]);
      await engine.start();
      const w = new Checkpointer('job', 0, 1, { shmRoot: shm });
      cleanup.push(() => w.close());
      const payload = Buffer.alloc(3 << 20, 7);
      expect(w.save(1, { w: payload }).saved).toBe(true);
      engine.notify();
      const obs = await waitFor(
        () => engine.observations().find((o) => o.code === 'ckpt.tier.unavailable'),
        10_000,
        'pause',
      );
      expect(obs.component).toBe('ckpt:nvme');
      expect(obs.evidence).toMatch(/ENOSPC/);
      // The memory copy stays, and nothing torn is under a final name.
      expect(existsSync(join(shm, 'job', 'rank-00000', 'slot-0', 'COMMIT'))).toBe(true);
      expect(existsSync(tierPaths.rankFile(nvme, 'job', 1, 0))).toBe(false);
      rmSync(filler);
      await waitFor(async () => (await tier.readNodeManifest('job', 1, 'n1')) !== undefined, 10_000, 'resume');
      await waitFor(() => engine.observations().length === 0, 5000, 'the pause to clear');
      expect(
        Buffer.compare(readFileSync(tierPaths.rankFile(nvme, 'job', 1, 0)).subarray(0, payload.length), payload),
      ).toBe(0);
    },
  );

  it('parallel storage unreachable: pauses, NVMe keeps going, resumes and commits when it is back', async () => {
    const { shm, disk } = dirs();
    mkdirSync(join(disk, 'nvme'));
    const pfsRoot = join(disk, 'pfs');
    const nvme = new DirTier('nvme', join(disk, 'nvme'));
    const pfs = new DirTier('pfs', pfsRoot);
    const { engine } = engineFor(shm, disk, [nvme, pfs]);
    await engine.start();
    const w = new Checkpointer('job', 0, 1, { shmRoot: shm });
    cleanup.push(() => w.close());
    w.save(2, { w: Buffer.alloc(100_000, 2) });
    engine.notify();
    const obs = await waitFor(() => engine.observations().find((o) => o.component === 'ckpt:pfs'), 10_000, 'pause');
    expect(obs.code).toBe('ckpt.tier.unavailable');
    await waitFor(async () => (await nvme.readNodeManifest('job', 2, 'n1')) !== undefined, 10_000, 'nvme');
    expect(existsSync(join(shm, 'job', 'rank-00000', 'slot-0', 'COMMIT'))).toBe(true);
    mkdirSync(pfsRoot);
    await waitFor(async () => (await pfs.readLatest('job'))?.step === 2, 10_000, 'commit on pfs');
    await waitFor(() => engine.observations().length === 0, 5000, 'the pause to clear');
    await waitFor(async () => (await pfs.readManifest('job', 2))?.tiers.join(',') === 'memory,nvme,pfs', 5000, 'tiers');
  });

  it('the trainer crashes right after a save: its last shm copy is still flushed', async () => {
    const { shm, disk } = dirs();
    mkdirSync(join(disk, 'nvme'));
    const script = `
import os, sys
sys.path.insert(0, ${JSON.stringify(join(REPO_ROOT, 'clients/python'))})
from keelson_ckpt import Checkpointer
ck = Checkpointer("job", 0, 1, shm_root=${JSON.stringify(shm)})
for step in (10, 11):
    ck.save(step, {"w": bytes([step]) * 200000})
os.kill(os.getpid(), 9)
`;
    const r = spawnSync('python3', ['-c', script]);
    expect(r.signal).toBe('SIGKILL');
    // The agent starts only after the trainer is gone.
    const nvme = new DirTier('nvme', join(disk, 'nvme'));
    const { engine } = engineFor(shm, disk, [nvme]);
    await engine.start();
    await waitFor(async () => (await nvme.readLatest('job'))?.step === 11, 10_000, 'flush of the last save');
    const f = readFileSync(tierPaths.rankFile(join(disk, 'nvme'), 'job', 11, 0));
    expect(f.subarray(0, 200000).every((b) => b === 11)).toBe(true);
  });

  it('a flipped byte in a shard: restore detects it and falls back tier by tier', async () => {
    const { shm, disk } = dirs();
    mkdirSync(join(disk, 'nvme'));
    mkdirSync(join(disk, 'pfs'));
    const nvme = new DirTier('nvme', join(disk, 'nvme'));
    const pfs = new DirTier('pfs', join(disk, 'pfs'));
    const { engine } = engineFor(shm, disk, [nvme, pfs]);
    await engine.start();
    const w = new Checkpointer('job', 0, 1, { shmRoot: shm });
    cleanup.push(() => w.close());
    const a = Buffer.alloc(50_000, 1);
    const b = Buffer.alloc(70_000, 2);
    w.save(3, { a, b });
    engine.notify();
    await waitFor(async () => (await pfs.readLatest('job'))?.step === 3, 10_000, 'commit');
    await engine.stop();
    const flip = (path: string, at: number) => {
      const buf = readFileSync(path);
      buf[at] = (buf[at] ?? 0) ^ 0x10;
      writeFileSync(path, buf);
    };
    const committed = await listCommitted([pfs, nvme], 'job');
    const sources = [memorySource(shm), tierSource(nvme), tierSource(pfs)];
    flip(join(shm, 'job', 'rank-00000', 'slot-0', 'data'), 100);
    flip(tierPaths.rankFile(join(disk, 'nvme'), 'job', 3, 0), 57_344 + 5);
    const r = await restoreRank({ job: 'job', rank: 0, committed, sources });
    expect(r.tier).toBe('pfs');
    expect(r.fallbacks.map((f) => f.tier)).toEqual(['memory', 'nvme']);
    expect(r.fallbacks[0]?.reason).toMatch(/shard a checksum/);
    expect(r.fallbacks[1]?.reason).toMatch(/shard b checksum/);
    expect(Buffer.compare(r.data.subarray(0, 50_000), a)).toBe(0);
    // With every copy damaged, restore refuses rather than hand back bad bytes.
    flip(tierPaths.rankFile(join(disk, 'pfs'), 'job', 3, 0), 0);
    await expect(restoreRank({ job: 'job', rank: 0, committed, sources })).rejects.toThrow(/no verified copy/);
    renameSync(join(disk, 'pfs'), join(disk, 'pfs-gone'));
  });
});
