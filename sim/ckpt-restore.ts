/**
 * Restoring a simulated job as its trainers would: the newest COMMITTED step from parallel
 * storage (LATEST, then the step MANIFESTs — what `keelson ckpt restore` and the Python
 * `load_latest` read), each rank read from the fastest copy its node can reach (its own shm,
 * its NVMe, parallel storage) with every shard's CRC-32 checked by the agent's restore code,
 * and then compared with the bytes that rank saved at that step. A step some rank cannot
 * restore is passed over for the next older committed one.
 */
import { listCommitted, memorySource, restoreRank, tierSource } from '../agent/checkpoint/restore.ts';
import { DirTier } from '../agent/checkpoint/tier.ts';
import type { GlobalManifest } from '../checkpoint-lib/format.ts';
import { describeError, KeelsonError } from '../core/errors.ts';
import { rankShards } from './rank-report.ts';

/** Where one rank reads its checkpoint from: the node it (re)starts on. */
export interface RankRestoreSource {
  rank: number;
  shmRoot: string;
  nvmeDir: string;
}

/** The step LATEST names on parallel storage, or undefined when nothing was committed. */
export async function latestCommittedStep(pfsDir: string, job: string): Promise<number | undefined> {
  const latest = await new DirTier('pfs', pfsDir).readLatest(job).catch(() => undefined);
  return latest?.step;
}

/** Committed manifests of `job` at or below LATEST, newest first. */
export async function committedManifests(pfsDir: string, job: string): Promise<GlobalManifest[]> {
  const latest = await latestCommittedStep(pfsDir, job);
  if (latest === undefined) return [];
  return (await listCommitted([new DirTier('pfs', pfsDir)], job)).filter((m) => m.step <= latest);
}

/** What a restore did. */
export interface JobRestore {
  step: number;
  /** The tier each rank was read from. */
  tiers: Record<number, string>;
  /** Newer committed steps passed over, and why. */
  skipped: { step: number; reason: string }[];
}

/**
 * Restore every rank of `job` from the newest committed step all of them can read and verify;
 * undefined when nothing is committed. Throws CKPT_INCOMPLETE when committed steps exist but
 * none restores completely.
 */
export async function restoreJob(o: {
  job: string;
  pfsDir: string;
  ranks: readonly RankRestoreSource[];
  /** Model shard size the ranks saved (the optimizer shard is derived from it). */
  modelBytes: number;
}): Promise<JobRestore | undefined> {
  const committed = await committedManifests(o.pfsDir, o.job);
  if (committed.length === 0) return undefined;
  const pfs = new DirTier('pfs', o.pfsDir);
  const skipped: JobRestore['skipped'] = [];
  for (const m of committed) {
    const tiers: Record<number, string> = {};
    try {
      for (const r of o.ranks) {
        const got = await restoreRank({
          job: o.job,
          rank: r.rank,
          step: m.step,
          committed: [m],
          sources: [memorySource(r.shmRoot), tierSource(new DirTier('nvme', r.nvmeDir)), tierSource(pfs)],
        });
        const want = rankShards(o.job, r.rank, m.step, o.modelBytes);
        for (const s of got.copy.shards) {
          const expected = want[s.name];
          const bytes = got.data.subarray(s.offset, s.offset + s.size);
          if (!expected || Buffer.compare(bytes, expected) !== 0) {
            throw new KeelsonError(
              'CKPT_CHECKSUM',
              `rank ${r.rank} shard ${s.name} of step ${m.step} is not what it saved`,
            );
          }
        }
        tiers[r.rank] = got.tier;
      }
      return { step: m.step, tiers, skipped };
    } catch (err) {
      skipped.push({ step: m.step, reason: describeError(err) });
    }
  }
  throw new KeelsonError(
    'CKPT_INCOMPLETE',
    `job ${o.job}: no committed step restores completely (${skipped.map((s) => `${s.step}: ${s.reason}`).join('; ')})`,
  );
}
