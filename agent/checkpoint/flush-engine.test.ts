import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DurableReport } from '../../checkpoint-lib/commit.ts';
import { SLOT_FILES, shmPaths } from '../../checkpoint-lib/format.ts';
import { Checkpointer } from '../../checkpoint-lib/writer.ts';
import { FlushEngine } from './flush-engine.ts';
import { DirTier } from './tier.ts';

const dirs: string[] = [];
function setup() {
  const shm = mkdtempSync('/dev/shm/keelson-test-');
  const disk = mkdtempSync(join(tmpdir(), 'kfe-'));
  dirs.push(shm, disk);
  mkdirSync(join(disk, 'nvme'));
  mkdirSync(join(disk, 'pfs'));
  return { shm, disk, nvme: new DirTier('nvme', join(disk, 'nvme')), pfs: new DirTier('pfs', join(disk, 'pfs')) };
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('FlushEngine', () => {
  // Longer than idle()'s own 30 s deadline, so a stuck run reports its tiers and pins, not a bare
  // timeout (its ~40 fsyncs have taken over 20 s beside the suite's other disk-heavy tests).
  it('flushes every rank of the newest step to each tier with manifests last and retention', {
    timeout: 60_000,
  }, async () => {
    const s = setup();
    const reports: DurableReport[] = [];
    const eng = new FlushEngine({
      node: 'n1',
      shmRoot: s.shm,
      tiers: [s.nvme, s.pfs],
      journalPath: join(s.disk, 'journal'),
      keep: { nvme: 1, pfs: 2 },
      onDurable: (r) => reports.push(r),
    });
    const w0 = new Checkpointer('job', 0, 2, { shmRoot: s.shm });
    const w1 = new Checkpointer('job', 1, 2, { shmRoot: s.shm });
    await eng.start();
    for (const step of [1, 2, 3]) {
      expect(w0.save(step, { a: bytes(10_000, step), b: bytes(5000, step + 1) }).saved).toBe(true);
      expect(w1.save(step, { a: bytes(7000, step + 2) }).saved).toBe(true);
      eng.notify();
      await eng.idle();
    }
    await eng.stop();
    const m = await s.pfs.readNodeManifest('job', 3, 'n1');
    expect(m?.ranks.map((r) => r.rank)).toEqual([0, 1]);
    const f = readFileSync(join(s.disk, 'pfs', 'job', 'step-000000000003', 'rank-00000.data'));
    expect(Buffer.compare(f.subarray(0, 10_000), Buffer.from(bytes(10_000, 3)))).toBe(0);
    expect(await s.nvme.listSteps('job')).toEqual([3]);
    expect(await s.pfs.listSteps('job')).toEqual([2, 3]);
    expect(reports.some((r) => r.tier === 'pfs' && r.step === 3 && r.ranks.length === 2)).toBe(true);
    // No temp file left anywhere, and slots are unpinned.
    const walk = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [e.name]));
    expect(walk(s.disk).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    expect(walk(s.shm).filter((n) => n === 'COMMIT.pinned')).toEqual([]);
    expect(existsSync(join(s.disk, 'journal'))).toBe(true);
    w0.close();
    w1.close();
  });

  // The intermittent stall of session 2: a pin refused once (here a writer's WRITING flag; in the
  // suite, a pin racing the previous holder's unpin) stayed cached as refused for that slot
  // directory, so the slot was never flushed and the engine never idle.
  it('retries a slot whose pin was refused once', { timeout: 60_000 }, async () => {
    const s = setup();
    const eng = new FlushEngine({ node: 'n1', shmRoot: s.shm, tiers: [s.nvme, s.pfs], journalPath: join(s.disk, 'j') });
    const w = new Checkpointer('job', 0, 1, { shmRoot: s.shm });
    const r = w.save(1, { a: bytes(4096, 1) });
    expect(r.saved).toBe(true);
    const slotDir = shmPaths.slot(s.shm, 'job', 0, r.saved ? r.slot : 0);
    expect(existsSync(join(slotDir, SLOT_FILES.commit))).toBe(true);
    writeFileSync(join(slotDir, SLOT_FILES.writing), '');
    await eng.start();
    await expect(eng.idle(300)).rejects.toThrow(/pinMisses":[1-9]/);
    unlinkSync(join(slotDir, SLOT_FILES.writing));
    await eng.idle(10_000);
    await eng.stop();
    expect(await s.nvme.listSteps('job')).toEqual([1]);
    expect((await s.pfs.readNodeManifest('job', 1, 'n1'))?.ranks.map((x) => x.rank)).toEqual([0]);
    expect(existsSync(join(slotDir, SLOT_FILES.commit))).toBe(true);
    w.close();
  });
});
