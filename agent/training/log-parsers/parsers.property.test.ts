/** Property tests: no parser throws, whatever the line; generated well-formed lines round-trip. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LOG_FORMATS, LogStepAssembler, parseTrainingLine } from './index.ts';
import { parseMegatronLine } from './megatron.ts';
import { parseTorchtitanLine } from './torchtitan.ts';
import { parseTqdmLine } from './tqdm.ts';

describe('training log parsers (properties)', () => {
  it('never throw on arbitrary text, and any record they give has a known format and sane numbers', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        const p = parseTrainingLine(s);
        if (p) {
          expect([...LOG_FORMATS, 'phase']).toContain(p.format);
          if (p.step !== undefined) expect(Number.isInteger(p.step) && p.step >= 0).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never throw on mutated real-format lines', () => {
    const base = [
      ' iteration       30/    1000 | consumed samples:          120 | elapsed time per iteration (ms): 1613.7 | lm loss: 2.648119E+01 |',
      '[rank0]:[titan] 2026-05-19 19:31:29,955 - root - INFO - \x1b[31mstep:  1  \x1b[32mloss: 12.47929  \x1b[34mtps: 1,360',
      ' 11%|#1        | 11/100 [01:03<05:45,  3.89s/it]',
      "{'loss': 2.5054, 'grad_norm': 1.73, 'learning_rate': 4.5e-05, 'epoch': 0.11}",
    ];
    fc.assert(
      fc.property(fc.constantFrom(...base), fc.nat(200), fc.nat(200), fc.string({ maxLength: 20 }), (b, i, j, ins) => {
        const a = Math.min(i, b.length);
        const s = b.slice(0, a) + ins + b.slice(Math.min(a + (j % 10), b.length));
        const asm = new LogStepAssembler('x');
        const p = parseTrainingLine(s);
        if (p) asm.next(p);
      }),
      { numRuns: 2000 },
    );
  });

  it('megatron: step, total, ms and loss round-trip', () => {
    fc.assert(
      fc.property(
        fc.nat(10_000_000),
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.double({ min: 0.1, max: 1e6, noNaN: true }),
        fc.double({ min: 1e-3, max: 100, noNaN: true }),
        (step, total, ms, loss) => {
          const line = ` iteration ${String(step).padStart(8)}/${String(total).padStart(8)} | consumed samples: 1 | elapsed time per iteration (ms): ${ms.toFixed(1)} | learning rate: 1.0E-4 | lm loss: ${loss.toExponential(6).toUpperCase()} | loss scale: 1.0 |`;
          const p = parseMegatronLine(line);
          expect(p?.step).toBe(step);
          expect(p?.total).toBe(total);
          expect(p?.stepMs).toBeCloseTo(Number(ms.toFixed(1)), 5);
          expect(p?.loss).toBeCloseTo(Number(loss.toExponential(6)), 10);
        },
      ),
    );
  });

  it('torchtitan and tqdm: step and loss / n and total round-trip', () => {
    fc.assert(
      fc.property(fc.nat(1_000_000), fc.double({ min: 0, max: 50, noNaN: true }), (step, loss) => {
        const p = parseTorchtitanLine(`[titan] - INFO - step: ${step}  loss: ${loss.toFixed(5)}  memory: 1GiB`);
        expect(p?.step).toBe(step);
        expect(p?.loss).toBeCloseTo(Number(loss.toFixed(5)), 8);
      }),
    );
    fc.assert(
      fc.property(fc.nat(100_000), fc.integer({ min: 1, max: 100_000 }), (n, total) => {
        const p = parseTqdmLine(` 50%|#####     | ${n}/${total} [00:10<00:10,  1.50s/it]`);
        expect(p).toEqual({ format: 'tqdm', step: n, total, stepMs: 1500 });
      }),
    );
  });
});
