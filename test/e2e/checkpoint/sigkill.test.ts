/**
 * SIGKILL the flushing process at random points, 50+ times: after every kill no torn file is
 * under a final name and nothing incomplete is reported complete; after the last restart the
 * engine resumes from its journal and finishes the newest step. The worker is bundled once with
 * esbuild so each start costs ~0.1 s instead of tsx's compile.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Checkpointer } from '../../../checkpoint-lib/writer.ts';
import { REPO_ROOT } from '../../helpers/processes.ts';
import { checkLatest, checkTier, fillOf } from './kill-check.ts';

const RUNS = 52;
const RANKS = 3;
const SHARD = 3 << 20;

let work: string;
let bundle: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ksigkill-'));
  bundle = join(work, 'flush-worker.mjs');
  execFileSync(join(REPO_ROOT, 'node_modules/.bin/esbuild'), [
    join(REPO_ROOT, 'test/e2e/checkpoint/flush-worker.ts'),
    '--bundle',
    '--platform=node',
    '--format=esm',
    // pino is CommonJS and requires node built-ins: give the ESM bundle a require.
    "--banner:js=import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    `--outfile=${bundle}`,
    '--log-level=warning',
  ]);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function startWorker(cfg: object): { child: ChildProcess; idle: Promise<boolean> } {
  const child = spawn(process.execPath, [bundle, JSON.stringify(cfg)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_PATH: join(REPO_ROOT, 'node_modules') },
  });
  const idle = new Promise<boolean>((resolve) => {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('IDLE')) resolve(true);
    });
    child.once('exit', () => resolve(false));
  });
  return { child, idle };
}

function walk(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)],
  );
}

describe('SIGKILL mid-flush', () => {
  it(`${RUNS} random kills: nothing torn, nothing incomplete reported, resumes from the journal`, async () => {
    const shm = mkdtempSync('/dev/shm/keelson-kill-');
    try {
      const nvme = join(work, 'nvme');
      const pfs = join(work, 'pfs');
      mkdirSync(nvme);
      mkdirSync(pfs);
      const cfg = {
        shm,
        tiers: [
          { name: 'nvme', root: nvme },
          { name: 'pfs', root: pfs },
        ],
        journal: join(work, 'journal'),
        bandwidth: 150 << 20,
      };
      const writers = Array.from({ length: RANKS }, (_, r) => new Checkpointer('job', r, RANKS, { shmRoot: shm }));
      let step = 0;
      const save = () => {
        step++;
        for (const [r, w] of writers.entries()) w.save(step, { w: Buffer.alloc(SHARD, fillOf(step, r)) });
      };
      save();
      let killedMidFlush = 0;
      for (let run = 0; run < RUNS; run++) {
        if (run % 2 === 0) save();
        const { child, idle } = startWorker(cfg);
        const delay = 60 + Math.random() * 220;
        const finished = await Promise.race([idle, new Promise<boolean>((r) => setTimeout(() => r(false), delay))]);
        if (!finished) killedMidFlush++;
        child.kill('SIGKILL');
        await new Promise((r) =>
          child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r),
        );
        const bad = [
          ...checkTier(nvme, 'job', SHARD),
          ...checkTier(pfs, 'job', SHARD),
          ...checkLatest(pfs, [nvme, pfs], 'job'),
        ];
        expect(bad, `run ${run}`).toEqual([]);
      }
      // Most kills land before the worker is idle, i.e. mid-scan, mid-copy or mid-commit.
      expect(killedMidFlush).toBeGreaterThan(RUNS / 4);
      // A last, undisturbed start resumes and completes the newest step on both tiers.
      const { child, idle } = startWorker(cfg);
      expect(await idle).toBe(true);
      child.kill('SIGKILL');
      const { parseJsonAs, latestPointerSchema } = await import('../../../checkpoint-lib/format.ts');
      const { readFileSync } = await import('node:fs');
      expect(parseJsonAs(latestPointerSchema, readFileSync(join(pfs, 'job', 'LATEST'), 'utf8'))?.step).toBe(step);
      expect([...checkTier(nvme, 'job', SHARD), ...checkTier(pfs, 'job', SHARD)]).toEqual([]);
      expect(walk(work).filter((p) => p.includes('/.tmp-'))).toEqual([]);
      for (const w of writers) w.close();
    } finally {
      rmSync(shm, { recursive: true, force: true });
    }
  }, 90_000);
});
