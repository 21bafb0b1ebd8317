/**
 * Checkpoint SIGKILL soak: `node --import tsx bench/ckpt-soak.ts [--runs 500] [--ranks 4] [--mib 4]`.
 * The same invariants as test/e2e/checkpoint/sigkill.test.ts over many more random kills:
 * the flush worker (bundled once with esbuild) is killed at random delays while new steps keep
 * arriving; after each kill no torn file is under a final name and LATEST names only a fully
 * verified step; at the end an undisturbed run must commit the newest step. Exit 1 on a violation.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { latestPointerSchema, parseJsonAs } from '../checkpoint-lib/format.ts';
import { Checkpointer } from '../checkpoint-lib/writer.ts';
import { checkLatest, checkTier, fillOf } from '../test/e2e/checkpoint/kill-check.ts';

const args = process.argv.slice(2);
const num = (name: string, d: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const RUNS = num('--runs', 500);
const RANKS = num('--ranks', 4);
const SHARD = num('--mib', 4) << 20;
const REPO = new URL('..', import.meta.url).pathname;

const work = mkdtempSync(join(tmpdir(), 'kckpt-soak-'));
const shm = mkdtempSync('/dev/shm/keelson-soak-');
const bundle = join(work, 'flush-worker.mjs');
execFileSync(join(REPO, 'node_modules/.bin/esbuild'), [
  join(REPO, 'test/e2e/checkpoint/flush-worker.ts'),
  '--bundle',
  '--platform=node',
  '--format=esm',
  "--banner:js=import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  `--outfile=${bundle}`,
  '--log-level=warning',
]);
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
  bandwidth: 200 << 20,
};

function start(): { child: ChildProcess; idle: Promise<boolean> } {
  const child = spawn(process.execPath, [bundle, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'inherit'] });
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

let failed = 0;
try {
  const writers = Array.from({ length: RANKS }, (_, r) => new Checkpointer('job', r, RANKS, { shmRoot: shm }));
  let step = 0;
  const save = () => {
    step++;
    for (const [r, w] of writers.entries()) w.save(step, { w: Buffer.alloc(SHARD, fillOf(step, r)) });
  };
  save();
  const t0 = Date.now();
  for (let run = 0; run < RUNS; run++) {
    if (Math.random() < 0.3) save();
    const { child, idle } = start();
    await Promise.race([idle, new Promise((r) => setTimeout(r, 50 + Math.random() * 400))]);
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
    const bad = [
      ...checkTier(nvme, 'job', SHARD),
      ...checkTier(pfs, 'job', SHARD),
      ...checkLatest(pfs, [nvme, pfs], 'job'),
    ];
    if (bad.length) {
      failed++;
      process.stderr.write(`run ${run}: ${bad.join('; ')}\n`);
    }
    if (run % 50 === 49)
      process.stderr.write(`${run + 1} runs, ${failed} failed, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  }
  const { child, idle } = start();
  const finished = await idle;
  child.kill('SIGKILL');
  const latest = parseJsonAs(latestPointerSchema, readFileSync(join(pfs, 'job', 'LATEST'), 'utf8'))?.step;
  if (!finished || latest !== step) {
    failed++;
    process.stderr.write(`final run did not commit step ${step} (LATEST ${latest})\n`);
  }
  for (const w of writers) w.close();
  process.stdout.write(`${JSON.stringify({ runs: RUNS, failed, lastStep: step, latest })}\n`);
} finally {
  rmSync(shm, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
