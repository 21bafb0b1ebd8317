/**
 * The operator commands `keelson ckpt ls|show|verify|restore` as functions taking parsed
 * options and an output stream, returning an exit code (0 ok, 1 nothing found, 2 a checksum
 * mismatch, 3 no verified copy to restore). A progress bar is drawn on long copies when the
 * stream is a TTY.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { describeError } from '../../core/errors.ts';
import { copyRank } from './copy-rank.ts';
import type { PeerAddress } from './peer.ts';
import { peerSource } from './peer-source.ts';
import { listCommitted, memorySource, type RestoreSource, restoreRank, tierSource } from './restore.ts';
import { listSlots } from './shm-slots.ts';
import type { Tier } from './tier.ts';

export interface CkptOpsOptions {
  /** Durable tiers, fastest first; the last is where MANIFEST/LATEST live. */
  tiers: Tier[];
  shmRoot: string;
  out: Writable & { isTTY?: boolean };
}

/** `[#####.....]  52%  1.2/2.3 GiB` */
export function renderProgress(done: number, total: number, width = 30): string {
  const f = total > 0 ? Math.min(1, done / total) : 1;
  const n = Math.round(f * width);
  const gib = (b: number) => (b / 2 ** 30).toFixed(2);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}] ${String(Math.round(f * 100)).padStart(3)}%  ${gib(done)}/${gib(total)} GiB`;
}

function progressWriter(out: CkptOpsOptions['out'], label: string) {
  let last = 0;
  return (done: number, total: number) => {
    if (!out.isTTY || total < 64 << 20) return;
    const now = Date.now();
    if (now - last < 100 && done < total) return;
    last = now;
    out.write(`\r${label} ${renderProgress(done, total)}${done >= total ? '\n' : ''}`);
  };
}

async function jobsOf(o: CkptOpsOptions, job?: string): Promise<string[]> {
  if (job) return [job];
  const all = new Set<string>();
  for (const t of o.tiers) for (const j of await t.listJobs()) all.add(j);
  return [...all].sort();
}

/** List steps per job and tier: which nodes hold them, committed or not, LATEST. */
export async function ckptLs(o: CkptOpsOptions & { job?: string }): Promise<number> {
  const jobs = await jobsOf(o, o.job);
  let any = false;
  for (const job of jobs) {
    const latest = await o.tiers[o.tiers.length - 1]?.readLatest(job).catch(() => undefined);
    o.out.write(`job ${job}${latest ? `  LATEST=${latest.step}` : ''}\n`);
    const mem = await listSlots(o.shmRoot, job);
    if (mem.length)
      o.out.write(`  memory  ${[...new Set(mem.map((s) => s.record.step))].sort((a, b) => a - b).join(' ')}\n`);
    for (const t of o.tiers) {
      for (const step of await t.listSteps(job).catch(() => [])) {
        any = true;
        const nodes = await t.readNodeManifests(job, step);
        const m = await t.readManifest(job, step).catch(() => undefined);
        const ranks = nodes.reduce((a, n) => a + n.ranks.length, 0);
        o.out.write(
          `  ${t.name.padEnd(7)} step ${step}  ranks ${ranks}${nodes[0] ? `/${nodes[0].world}` : ''}  nodes ${nodes.map((n) => n.node).join(',') || '-'}${m ? `  committed [${m.tiers.join(',')}]` : ''}\n`,
        );
      }
    }
  }
  return any ? 0 : 1;
}

/** Print a step's MANIFEST (the newest committed when no step is given). */
export async function ckptShow(o: CkptOpsOptions & { job: string; step?: number }): Promise<number> {
  const committed = await listCommitted(o.tiers, o.job);
  const m = o.step === undefined ? committed[0] : committed.find((c) => c.step === o.step);
  if (!m) {
    o.out.write(`no committed step${o.step === undefined ? '' : ` ${o.step}`} for job ${o.job}\n`);
    return 1;
  }
  o.out.write(`${JSON.stringify(m, null, 2)}\n`);
  return 0;
}

/** Re-read every copy of a step on every tier and check each shard's checksum. */
export async function ckptVerify(o: CkptOpsOptions & { job: string; step?: number }): Promise<number> {
  const steps = o.step === undefined ? [(await listCommitted(o.tiers, o.job))[0]?.step] : [o.step];
  const step = steps[0];
  if (step === undefined) {
    o.out.write(`nothing committed for job ${o.job}\n`);
    return 1;
  }
  let bad = 0;
  let seen = 0;
  for (const t of o.tiers) {
    for (const nm of await t.readNodeManifests(o.job, step)) {
      for (const r of nm.ranks) {
        seen++;
        const progress = progressWriter(o.out, `${t.name} rank ${r.rank}`);
        try {
          const src = await t.openRankSource(o.job, step, r.rank);
          try {
            await copyRank(src, undefined, r.bytes, r.shards, {
              expected: r.shards.map((s) => s.crc32),
              onProgress: (n) => progress(n, r.bytes),
            });
          } finally {
            await src.close();
          }
          o.out.write(`ok   ${t.name} step ${step} rank ${r.rank} (${r.shards.length} shards, ${r.bytes} bytes)\n`);
        } catch (err) {
          bad++;
          o.out.write(`BAD  ${t.name} step ${step} rank ${r.rank}: ${describeError(err)}\n`);
        }
      }
    }
  }
  if (!seen) {
    o.out.write(`no copies of step ${step} for job ${o.job}\n`);
    return 1;
  }
  return bad ? 2 : 0;
}

/**
 * Restore one rank into `into` (a directory): `rank-R.data` and `rank-R.json` (its shards),
 * from the fastest tier whose copy verifies; the peer is asked when given.
 */
export async function ckptRestore(
  o: CkptOpsOptions & { job: string; rank: number; step?: number; into: string; node?: string; peer?: PeerAddress },
): Promise<number> {
  const sources: RestoreSource[] = [memorySource(o.shmRoot)];
  if (o.peer && o.node) sources.push(peerSource(o.peer, o.node));
  sources.push(...o.tiers.map(tierSource));
  const progress = progressWriter(o.out, `rank ${o.rank}`);
  try {
    const r = await restoreRank({
      job: o.job,
      rank: o.rank,
      step: o.step,
      committed: await listCommitted(o.tiers, o.job),
      sources,
      onProgress: progress,
    });
    await mkdir(o.into, { recursive: true });
    const base = `rank-${String(o.rank).padStart(5, '0')}`;
    await writeFile(join(o.into, `${base}.data`), r.data);
    await writeFile(join(o.into, `${base}.json`), JSON.stringify({ step: r.step, tier: r.tier, ...r.copy }, null, 2));
    for (const f of r.fallbacks) o.out.write(`skipped ${f.tier} step ${f.step}: ${f.reason}\n`);
    o.out.write(`restored job ${o.job} rank ${o.rank} step ${r.step} from ${r.tier} into ${o.into}\n`);
    return 0;
  } catch (err) {
    o.out.write(`${describeError(err)}\n`);
    return 3;
  }
}
