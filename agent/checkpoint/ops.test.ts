import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { tierPaths } from '../../checkpoint-lib/format.ts';
import { Checkpointer } from '../../checkpoint-lib/writer.ts';
import { waitFor } from '../../test/helpers/processes.ts';
import { FlushEngine } from './flush-engine.ts';
import { LocalCommitter } from './local-commit.ts';
import { ckptLs, ckptRestore, ckptShow, ckptVerify, renderProgress } from './ops.ts';
import { DirTier } from './tier.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function sink() {
  const out = new PassThrough();
  let text = '';
  out.on('data', (b) => {
    text += b.toString();
  });
  return { out, text: () => text };
}

describe('ckpt operator commands', () => {
  it('ls, show, verify and restore with exit codes', async () => {
    const shm = mkdtempSync('/dev/shm/keelson-ops-');
    const disk = mkdtempSync(join(tmpdir(), 'kops-'));
    dirs.push(shm, disk);
    mkdirSync(join(disk, 'nvme'));
    mkdirSync(join(disk, 'pfs'));
    const tiers = [new DirTier('nvme', join(disk, 'nvme')), new DirTier('pfs', join(disk, 'pfs'))];
    const committer = new LocalCommitter({ commitTier: tiers[1]!, mirrorTiers: [tiers[0]!] });
    const engine = new FlushEngine({
      node: 'n1',
      shmRoot: shm,
      tiers,
      journalPath: join(disk, 'j'),
      onDurable: (r) => void committer.report(r),
    });
    await engine.start();
    const w = new Checkpointer('job', 0, 1, { shmRoot: shm });
    w.save(6, { w: Buffer.alloc(9000, 6) });
    engine.notify();
    await engine.idle();
    await waitFor(
      async () => (await tiers[1]!.readManifest('job', 6))?.tiers.join(',') === 'memory,nvme,pfs',
      5000,
      'commit on every tier',
    );
    await engine.stop();
    w.close();
    const o = sink();
    expect(await ckptLs({ tiers, shmRoot: shm, out: o.out })).toBe(0);
    expect(o.text()).toMatch(/LATEST=6/);
    expect(o.text()).toMatch(/pfs\s+step 6 {2}ranks 1\/1 {2}nodes n1 {2}committed \[memory,nvme,pfs\]/);
    const s = sink();
    expect(await ckptShow({ tiers, shmRoot: shm, out: s.out, job: 'job' })).toBe(0);
    expect(JSON.parse(s.text()).step).toBe(6);
    expect(await ckptShow({ tiers, shmRoot: shm, out: sink().out, job: 'job', step: 5 })).toBe(1);
    expect(await ckptVerify({ tiers, shmRoot: shm, out: sink().out, job: 'job' })).toBe(0);
    const into = join(disk, 'restored');
    const r = sink();
    expect(await ckptRestore({ tiers, shmRoot: shm, out: r.out, job: 'job', rank: 0, into })).toBe(0);
    expect(r.text()).toMatch(/from memory/);
    expect(
      readFileSync(join(into, 'rank-00000.data'))
        .subarray(0, 9000)
        .every((b) => b === 6),
    ).toBe(true);
    // Damage the NVMe copy: verify says so with exit 2.
    const f = tierPaths.rankFile(join(disk, 'nvme'), 'job', 6, 0);
    const buf = readFileSync(f);
    buf[1] = 0;
    writeFileSync(f, buf);
    const v = sink();
    expect(await ckptVerify({ tiers, shmRoot: shm, out: v.out, job: 'job', step: 6 })).toBe(2);
    expect(v.text()).toMatch(/BAD {2}nvme step 6 rank 0/);
    expect(await ckptRestore({ tiers, shmRoot: shm, out: sink().out, job: 'nope', rank: 0, into })).toBe(3);
  });

  it('draws a bounded progress bar', () => {
    expect(renderProgress(2 ** 30, 2 * 2 ** 30, 10)).toBe('[#####.....]  50%  1.00/2.00 GiB');
    expect(renderProgress(5, 0, 4)).toMatch(/^\[####\] 100%/);
  });
});
