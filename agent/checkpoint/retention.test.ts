import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planRetention } from './retention.ts';

describe('planRetention', () => {
  it('keeps the newest complete steps and drops stale partial ones', () => {
    const steps = [
      { step: 1, complete: true },
      { step: 2, complete: false },
      { step: 3, complete: true },
      { step: 4, complete: true },
      { step: 5, complete: false },
    ];
    expect(planRetention(steps, 2, new Set())).toEqual([1, 2]);
    expect(planRetention(steps, 2, new Set([1]))).toEqual([2]);
  });
  it('never drops the newest complete step, a protected step or anything newer (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ step: fc.nat(30), complete: fc.boolean() }), { selector: (s) => s.step }),
        fc.nat(4),
        fc.uniqueArray(fc.nat(30)),
        (steps, keep, prot) => {
          const drop = new Set(planRetention(steps, keep, new Set(prot)));
          const newest = Math.max(-1, ...steps.filter((s) => s.complete).map((s) => s.step));
          if (newest >= 0) expect(drop.has(newest)).toBe(false);
          for (const p of prot) expect(drop.has(p)).toBe(false);
          for (const d of drop) expect(d).toBeLessThan(newest);
        },
      ),
    );
  });
});
