/**
 * Restore one rank: the newest committed step, read from the fastest place that holds a copy
 * — this node's shm, a buddy's memory, NVMe, parallel storage — with every shard's CRC-32
 * checked against the MANIFEST; a mismatch or a missing copy falls back to the next source,
 * then to the next older committed step. Used by `keelson ckpt restore` and the agent.
 */
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { type GlobalManifest, type RankCopy, SLOT_FILES } from '../../checkpoint-lib/format.ts';
import { describeError, KeelsonError } from '../../core/errors.ts';
import { type ByteSource, openFileSource } from './byte-io.ts';
import { listSlots } from './shm-slots.ts';
import type { Tier } from './tier.ts';

/** A place a rank's copy of a step may be read from. */
export interface RestoreSource {
  tier: string;
  open(job: string, step: number, copy: RankCopy): Promise<ByteSource | undefined>;
}

/** This node's shm: a complete slot holding the step with the same layout. */
export function memorySource(shmRoot: string): RestoreSource {
  return {
    tier: 'memory',
    async open(job, step, copy) {
      const slot = (await listSlots(shmRoot, job)).find(
        (s) =>
          s.rank === copy.rank &&
          s.record.step === step &&
          s.record.dataBytes === copy.bytes &&
          s.record.shards.every((sh, i) => sh.offset === copy.shards[i]?.offset && sh.size === copy.shards[i]?.size),
      );
      return slot ? openFileSource(join(slot.dir, SLOT_FILES.data)) : undefined;
    },
  };
}

/** A durable tier. */
export function tierSource(tier: Tier): RestoreSource {
  return {
    tier: tier.name,
    async open(job, step, copy) {
      if ((await tier.rankSize(job, step, copy.rank)) === undefined) return undefined;
      return tier.openRankSource(job, step, copy.rank);
    },
  };
}

/** A ByteSource over bytes already in memory (a peer's reply). */
export function bufferSource(buf: Uint8Array): ByteSource {
  return {
    read: async (out, length, position) => {
      const n = Math.max(0, Math.min(length, buf.byteLength - position));
      out.set(buf.subarray(position, position + n));
      return n;
    },
    close: async () => {},
  };
}

/** Read `bytes` bytes straight into `buf` (one copy), in large reads. */
async function readAllInto(
  src: ByteSource,
  buf: Buffer,
  bytes: number,
  onProgress?: (n: number) => void,
): Promise<void> {
  const CHUNK = 64 << 20;
  for (let at = 0; at < bytes; ) {
    const n = await src.read(buf.subarray(at), Math.min(CHUNK, bytes - at), at);
    if (n === 0) throw new KeelsonError('CKPT_CHECKSUM', `copy ends at ${at} of ${bytes} bytes`);
    at += n;
    onProgress?.(at);
  }
}

/** Check every shard of `buf` against its recorded CRC-32. */
function verifyShards(buf: Buffer, copy: RankCopy): void {
  for (const s of copy.shards) {
    const got = crc32(buf.subarray(s.offset, s.offset + s.size));
    if (got !== s.crc32)
      throw new KeelsonError(
        'CKPT_CHECKSUM',
        `shard ${s.name} checksum ${got} differs from ${s.crc32} (offset ${s.offset})`,
      );
  }
}

/** Committed steps of a job, newest first, from the MANIFESTs on the given tiers. */
export async function listCommitted(tiers: readonly Tier[], job: string): Promise<GlobalManifest[]> {
  const found = new Map<number, GlobalManifest>();
  for (const t of tiers) {
    for (const step of await t.listSteps(job).catch(() => [])) {
      if (found.has(step)) continue;
      const m = await t.readManifest(job, step).catch(() => undefined);
      if (m) found.set(step, m);
    }
  }
  return [...found.values()].sort((a, b) => b.step - a.step);
}

export interface RestoredRank {
  step: number;
  tier: string;
  copy: RankCopy;
  /** The rank's bytes; shard i is data.subarray(offset, offset + size). */
  data: Buffer;
  /** Every source tried before the one that worked, and why it was passed over. */
  fallbacks: { step: number; tier: string; reason: string }[];
}

export interface RestoreOptions {
  job: string;
  rank: number;
  /** Committed manifests, newest first (listCommitted). */
  committed: readonly GlobalManifest[];
  /** Fastest first. */
  sources: readonly RestoreSource[];
  /** Only this step (default: the newest that verifies). */
  step?: number;
  onProgress?: (bytes: number, total: number) => void;
  /** Restore into this buffer when it is large enough (no fresh allocation to fault in). */
  into?: Buffer;
}

/** Restore one rank, verifying every shard; throws CKPT_INCOMPLETE when no copy verifies. */
export async function restoreRank(o: RestoreOptions): Promise<RestoredRank> {
  const fallbacks: RestoredRank['fallbacks'] = [];
  for (const m of o.committed) {
    if (o.step !== undefined && m.step !== o.step) continue;
    const copy = m.ranks.find((r) => r.rank === o.rank);
    if (!copy) continue;
    for (const src of o.sources) {
      let bs: ByteSource | undefined;
      try {
        bs = await src.open(o.job, m.step, copy);
      } catch (err) {
        fallbacks.push({ step: m.step, tier: src.tier, reason: describeError(err) });
        continue;
      }
      if (!bs) {
        fallbacks.push({ step: m.step, tier: src.tier, reason: 'no copy' });
        continue;
      }
      const data =
        o.into && o.into.byteLength >= copy.bytes ? o.into.subarray(0, copy.bytes) : Buffer.allocUnsafe(copy.bytes);
      try {
        await readAllInto(bs, data, copy.bytes, (n) => o.onProgress?.(n, copy.bytes));
        verifyShards(data, copy);
        return { step: m.step, tier: src.tier, copy, data, fallbacks };
      } catch (err) {
        fallbacks.push({ step: m.step, tier: src.tier, reason: describeError(err) });
      } finally {
        await bs.close();
      }
    }
  }
  throw new KeelsonError(
    'CKPT_INCOMPLETE',
    `no verified copy of rank ${o.rank} of job ${o.job}${o.step === undefined ? '' : ` step ${o.step}`}: ${fallbacks
      .map((f) => `${f.tier}@${f.step}: ${f.reason}`)
      .join('; ')}`,
  );
}
