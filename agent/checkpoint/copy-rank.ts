/**
 * Copy one rank's bytes from a source to a sink, computing each shard's CRC-32 as the bytes
 * pass (one read), honouring the bandwidth cap, and refusing to publish when a checksum differs
 * from the expected one. Reads the next chunk while the previous one is written.
 */
import { crc32 } from 'node:zlib';
import type { Shard } from '../../checkpoint-lib/format.ts';
import { KeelsonError } from '../../core/errors.ts';
import type { ByteSink, ByteSource } from './byte-io.ts';
import type { RateLimiter } from './rate-limit.ts';

export const COPY_CHUNK = 8 << 20;

/** Running CRC-32s of shards over a byte stream fed in order. */
export class ShardSummer {
  readonly sums: number[];
  constructor(private readonly shards: readonly Pick<Shard, 'offset' | 'size'>[]) {
    this.sums = shards.map(() => 0);
  }
  /** Feed the bytes at [pos, pos + chunk.length). */
  update(chunk: Uint8Array, pos: number): void {
    const end = pos + chunk.byteLength;
    this.shards.forEach((s, i) => {
      const a = Math.max(s.offset, pos);
      const b = Math.min(s.offset + s.size, end);
      if (a < b) this.sums[i] = crc32(chunk.subarray(a - pos, b - pos), this.sums[i]);
    });
  }
}

export interface CopyOptions {
  limiter?: RateLimiter;
  now?: () => number;
  /** Checksums the bytes must have; a difference aborts the sink. */
  expected?: readonly number[];
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
}

/** Copy `bytes` bytes, returning the shard checksums; the sink is published only when they match. */
export async function copyRank(
  src: ByteSource,
  sink: ByteSink | undefined,
  bytes: number,
  shards: readonly Pick<Shard, 'name' | 'offset' | 'size'>[],
  o: CopyOptions = {},
): Promise<number[]> {
  const summer = new ShardSummer(shards);
  const bufs = [
    Buffer.allocUnsafe(Math.min(COPY_CHUNK, Math.max(bytes, 1))),
    Buffer.allocUnsafe(Math.min(COPY_CHUNK, Math.max(bytes, 1))),
  ];
  const now = o.now ?? (() => performance.now());
  try {
    let pos = 0;
    let which = 0;
    const readAt = async (p: number, b: Buffer) => {
      const want = Math.min(b.length, bytes - p);
      let got = 0;
      while (got < want) {
        const n = await src.read(b.subarray(got), want - got, p + got);
        if (n === 0) throw new KeelsonError('CKPT_CHECKSUM', `source ended at ${p + got} of ${bytes} bytes`);
        got += n;
      }
      return b.subarray(0, want);
    };
    let pending = bytes > 0 ? readAt(0, bufs[0]!) : undefined;
    while (pending) {
      const chunk = await pending;
      const next = pos + chunk.byteLength;
      which ^= 1;
      pending = next < bytes ? readAt(next, bufs[which]!) : undefined;
      if (o.signal?.aborted) throw new KeelsonError('CKPT_TIER_UNAVAILABLE', 'copy cancelled');
      summer.update(chunk, pos);
      const wait = o.limiter?.take(now(), chunk.byteLength) ?? 0;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (sink) await sink.write(chunk);
      pos = next;
      o.onProgress?.(pos);
    }
    if (o.expected) {
      const bad = shards.findIndex((_, i) => summer.sums[i] !== o.expected?.[i]);
      if (bad >= 0) {
        const s = shards[bad]!;
        throw new KeelsonError(
          'CKPT_CHECKSUM',
          `shard ${s.name} checksum ${summer.sums[bad]} differs from ${o.expected[bad]} (offset ${s.offset}, ${s.size} bytes)`,
        );
      }
    }
    await sink?.publish();
    return summer.sums;
  } catch (err) {
    await sink?.abort();
    throw err;
  }
}
