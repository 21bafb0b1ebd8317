import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import { parseNcclTests } from './parse-nccl-tests.ts';
import { parsePerftestBw } from './parse-perftest.ts';
import { stripLinePrefix } from './prefix.ts';

const FIX = path.resolve(import.meta.dirname, '../../test/fixtures/nccl');
const nccl = readFileSync(path.join(FIX, 'all_reduce_perf-2x-h100-ndr-healthy-mpirun.txt'), 'utf8');
const perf = readFileSync(path.join(FIX, 'ib_write_bw-ndr-mlx5_0-healthy-gbits.txt'), 'utf8');

/** Only KeelsonError('PARSE_FAILED') may escape a parser. */
function onlyParseFailed(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(isKeelsonError(e, 'PARSE_FAILED')).toBe(true);
  }
}

const mutated = (text: string) =>
  fc
    .record({
      drop: fc.array(fc.nat(), { maxLength: 8 }),
      cut: fc.nat(),
      replace: fc.array(fc.tuple(fc.nat(), fc.string({ maxLength: 6 })), { maxLength: 6 }),
    })
    .map(({ drop, cut, replace }) => {
      let lines = text.split('\n');
      for (const d of drop) lines = lines.filter((_, i) => i !== d % Math.max(lines.length, 1));
      let out = lines.join('\n');
      for (const [at, s] of replace) {
        const i = at % Math.max(out.length, 1);
        out = out.slice(0, i) + s + out.slice(i + s.length);
      }
      return out.slice(0, cut % (out.length + 1));
    });

describe('nccl/perftest parsers (property)', () => {
  it('throw nothing but PARSE_FAILED on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        onlyParseFailed(() => parseNcclTests(s));
        onlyParseFailed(() => parsePerftestBw(s));
      }),
    );
  });

  it('survive dropped lines, truncation and random replacements of real-format output', () => {
    fc.assert(
      fc.property(mutated(nccl), mutated(perf), (a, b) => {
        onlyParseFailed(() => parseNcclTests(a));
        onlyParseFailed(() => parsePerftestBw(b));
      }),
      { numRuns: 200 },
    );
  });

  it('read the same rows whatever launcher prefix each line carries', () => {
    const plain = nccl
      .split('\n')
      .map((l) => stripLinePrefix(l).text)
      .join('\n');
    const base = parseNcclTests(plain).rows;
    fc.assert(
      fc.property(fc.constantFrom('', '0: ', '  12: ', '[1,0]<stdout>:', '[1,3]<stderr>:'), (prefix) => {
        const text = plain
          .split('\n')
          .map((l) => `${prefix}${l}`)
          .join('\n');
        expect(parseNcclTests(text).rows).toEqual(base);
      }),
    );
  });

  it('round-trips generated table rows', () => {
    const row = fc.record({
      bytes: fc.integer({ min: 1, max: 2 ** 40 }),
      busbw: fc.float({ min: 0, max: 2000, noNaN: true }),
      wrong: fc.nat({ max: 5 }),
    });
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 20 }), (rows) => {
        const text = [
          '#       size         count      type   redop    root     time   algbw   busbw #wrong     time   algbw   busbw #wrong',
          ...rows.map(
            (r) =>
              `${r.bytes} ${Math.floor(r.bytes / 4)} float sum -1 12.5 1.00 ${r.busbw.toFixed(2)} ${r.wrong} 12.5 1.00 ${r.busbw.toFixed(2)} 0`,
          ),
        ].join('\n');
        const parsed = parseNcclTests(text);
        expect(parsed.rows.map((r) => [r.bytes, r.outOfPlace.busbwGBps])).toEqual(
          rows.map((r) => [r.bytes, Number(r.busbw.toFixed(2))]),
        );
        expect(parsed.errors.filter((e) => e.kind === 'wrong-results')).toHaveLength(
          rows.filter((r) => r.wrong > 0).length,
        );
      }),
    );
  });
});
