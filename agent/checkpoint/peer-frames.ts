/**
 * The frame format of peer replication: `[u32 length][u32 crc32][u8 kind][payload]`, big-endian,
 * kind 1 a JSON control message, kind 2 raw shard bytes. A stream decoder you feed bytes to,
 * with no socket, so tests drive it with arbitrary chunking. A bad checksum or an oversized
 * frame is a CKPT_PEER error (the connection is dropped).
 */
import { crc32 } from 'node:zlib';
import { KeelsonError } from '../../core/errors.ts';

export const FRAME_JSON = 1;
export const FRAME_BYTES = 2;
export const MAX_FRAME = 16 << 20;
const HEAD = 9;

export type Frame = { kind: typeof FRAME_JSON; json: unknown } | { kind: typeof FRAME_BYTES; bytes: Buffer };

/** Encode one frame (header + payload as two buffers, so big payloads are not copied). */
export function encodeFrame(f: Frame): Buffer[] {
  const payload = f.kind === FRAME_JSON ? Buffer.from(JSON.stringify(f.json)) : f.bytes;
  const head = Buffer.allocUnsafe(HEAD);
  head.writeUInt32BE(payload.byteLength, 0);
  head.writeUInt32BE(crc32(payload), 4);
  head.writeUInt8(f.kind, 8);
  return [head, payload];
}

/** Feed bytes, get whole frames. */
export class FrameDecoder {
  private parts: Buffer[] = [];
  private have = 0;

  constructor(private readonly maxFrame = MAX_FRAME) {}

  push(chunk: Buffer): Frame[] {
    this.parts.push(chunk);
    this.have += chunk.byteLength;
    const out: Frame[] = [];
    for (;;) {
      if (this.have < HEAD) return out;
      const head = this.peek(HEAD);
      const len = head.readUInt32BE(0);
      const sum = head.readUInt32BE(4);
      const kind = head.readUInt8(8);
      if (len > this.maxFrame)
        throw new KeelsonError('CKPT_PEER', `peer frame of ${len} bytes exceeds ${this.maxFrame}`);
      if (kind !== FRAME_JSON && kind !== FRAME_BYTES)
        throw new KeelsonError('CKPT_PEER', `unknown peer frame kind ${kind}`);
      if (this.have < HEAD + len) return out;
      const whole = this.take(HEAD + len);
      const payload = whole.subarray(HEAD);
      if (crc32(payload) !== sum) throw new KeelsonError('CKPT_PEER', 'peer frame checksum mismatch');
      if (kind === FRAME_BYTES) out.push({ kind, bytes: payload });
      else {
        try {
          out.push({ kind, json: JSON.parse(payload.toString('utf8')) });
        } catch {
          throw new KeelsonError('CKPT_PEER', 'peer control frame is not JSON');
        }
      }
    }
  }

  private peek(n: number): Buffer {
    if ((this.parts[0]?.byteLength ?? 0) >= n) return this.parts[0]!.subarray(0, n);
    const all = Buffer.concat(this.parts);
    this.parts = [all];
    return all.subarray(0, n);
  }

  private take(n: number): Buffer {
    const first = this.parts[0]!;
    let whole: Buffer;
    if (first.byteLength >= n) whole = first.subarray(0, n);
    else {
      const all = Buffer.concat(this.parts);
      this.parts = [all];
      whole = all.subarray(0, n);
    }
    const head = this.parts[0]!;
    if (head.byteLength === n) this.parts.shift();
    else this.parts[0] = head.subarray(n);
    this.have -= n;
    return whole;
  }
}

/** The buddy of `self` among `nodes`: `pairs` (0↔1, 2↔3, an odd last one goes to 0) or `ring` (i → i+1). */
export function buddyOf(nodes: readonly string[], self: string, mode: 'pairs' | 'ring'): string | undefined {
  const sorted = [...new Set(nodes)].sort();
  const i = sorted.indexOf(self);
  if (i < 0 || sorted.length < 2) return undefined;
  if (mode === 'ring') return sorted[(i + 1) % sorted.length];
  const j = i ^ 1;
  return j < sorted.length ? sorted[j] : sorted[0] === self ? undefined : sorted[0];
}
