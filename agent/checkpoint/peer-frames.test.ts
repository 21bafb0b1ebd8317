import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import { buddyOf, encodeFrame, type Frame, FrameDecoder } from './peer-frames.ts';

describe('FrameDecoder', () => {
  it('decodes any sequence of frames fed in any chunking', () => {
    const frame = fc.oneof(
      fc.record({ kind: fc.constant(1 as const), json: fc.jsonValue() }),
      fc.record({ kind: fc.constant(2 as const), bytes: fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)) }),
    );
    fc.assert(
      fc.property(
        fc.array(frame, { maxLength: 10 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1 }),
        (frames, cuts) => {
          const wire = Buffer.concat(frames.flatMap((f) => encodeFrame(f as Frame)));
          const dec = new FrameDecoder();
          const got: Frame[] = [];
          let at = 0;
          for (let i = 0; at < wire.length; i++) {
            const n = cuts[i % cuts.length]!;
            got.push(...dec.push(wire.subarray(at, at + n)));
            at += n;
          }
          expect(got.length).toBe(frames.length);
          got.forEach((g, i) => {
            const f = frames[i]!;
            if (f.kind === 2) expect(Buffer.compare((g as { bytes: Buffer }).bytes, f.bytes)).toBe(0);
            else expect((g as { json: unknown }).json).toEqual(JSON.parse(JSON.stringify(f.json)));
          });
        },
      ),
    );
  });
  it('refuses a flipped byte and an oversized frame', () => {
    const wire = Buffer.concat(encodeFrame({ kind: 2, bytes: Buffer.from('hello world') }));
    wire[12] = (wire[12] ?? 0) ^ 1;
    expect(() => new FrameDecoder().push(wire)).toThrow(/checksum/);
    const big = Buffer.concat(encodeFrame({ kind: 2, bytes: Buffer.alloc(100) }));
    try {
      new FrameDecoder(50).push(big);
      expect.unreachable();
    } catch (err) {
      expect(isKeelsonError(err, 'CKPT_PEER')).toBe(true);
    }
  });
});

describe('buddyOf', () => {
  it('pairs and rings', () => {
    expect(buddyOf(['a', 'b', 'c', 'd'], 'c', 'pairs')).toBe('d');
    expect(buddyOf(['a', 'b', 'c'], 'c', 'pairs')).toBe('a');
    expect(buddyOf(['a', 'b', 'c'], 'c', 'ring')).toBe('a');
    expect(buddyOf(['a'], 'a', 'ring')).toBeUndefined();
  });
});
