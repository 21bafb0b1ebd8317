/**
 * A flush engine (with the local committer) as its own process, for the SIGKILL tests and the
 * soak script: argv[2] is a JSON config; it prints `IDLE` once everything is flushed and
 * committed, then waits to be killed (or exits when `exitWhenIdle`).
 */
import { FlushEngine } from '../../../agent/checkpoint/flush-engine.ts';
import { LocalCommitter } from '../../../agent/checkpoint/local-commit.ts';
import { DirTier } from '../../../agent/checkpoint/tier.ts';

interface WorkerConfig {
  shm: string;
  tiers: { name: string; root: string }[];
  journal: string;
  bandwidth: number;
  exitWhenIdle?: boolean;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
const tiers = cfg.tiers.map((t) => new DirTier(t.name, t.root));
const committer = new LocalCommitter({
  commitTier: tiers[tiers.length - 1]!,
  mirrorTiers: tiers.slice(0, -1),
  onCommitted: (m) => engine.recordCommit(m.job, m.step),
});
let commits: Promise<void> = Promise.resolve();
const engine = new FlushEngine({
  node: 'n1',
  shmRoot: cfg.shm,
  tiers,
  journalPath: cfg.journal,
  bandwidthBytesPerSec: cfg.bandwidth,
  concurrency: 2,
  scanMs: 50,
  retryMs: 50,
  keep: { nvme: 2, pfs: 3 },
  onDurable: (r) => {
    commits = commits.then(() => committer.report(r));
  },
});
await engine.start();
await engine.idle(60_000);
await commits;
process.stdout.write('IDLE\n');
if (cfg.exitWhenIdle) {
  await engine.stop();
  process.exit(0);
}
setInterval(() => {}, 1 << 30);
