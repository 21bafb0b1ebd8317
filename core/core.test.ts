import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.ts';
import { mergeConfig, setPath } from './config-source.ts';
import { counterDelta, counterRatePerSec } from './counter.ts';
import { capEvidence, MAX_EVIDENCE_CHARS, worstSeverity } from './finding.ts';

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, with jitter between half and all of it', () => {
    expect(backoffDelay(0, 500, 30_000, 0)).toBe(250);
    expect(backoffDelay(0, 500, 30_000, 0.999999)).toBe(500);
    expect(backoffDelay(3, 500, 30_000, 0.999999)).toBe(4000);
    expect(backoffDelay(100, 500, 30_000, 0.999999)).toBe(30_000);
    fc.assert(
      fc.property(fc.nat(1000), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (a, r) => {
        const d = backoffDelay(a, 500, 30_000, r);
        expect(d).toBeGreaterThanOrEqual(250);
        expect(d).toBeLessThanOrEqual(30_000);
      }),
    );
  });
});

describe('counters', () => {
  it('gives the increase and rate, and nothing across a reset or reboot', () => {
    expect(counterDelta({ value: 10, at: 0 }, { value: 25, at: 5000 })).toBe(15);
    expect(counterRatePerSec({ value: 10, at: 0 }, { value: 25, at: 5000 })).toBe(3);
    expect(counterDelta({ value: 100, at: 0 }, { value: 3, at: 1000 })).toBeUndefined();
    expect(counterDelta({ value: 1, at: 0, bootId: 'a' }, { value: 5, at: 1000, bootId: 'b' })).toBeUndefined();
    expect(counterDelta(undefined, { value: 5, at: 1000 })).toBeUndefined();
  });
  it('is never negative', () => {
    fc.assert(
      fc.property(fc.double(), fc.double(), fc.nat(), fc.nat(), (a, b, t1, t2) => {
        const d = counterDelta({ value: a, at: t1 }, { value: b, at: t2 });
        expect(d === undefined || d >= 0).toBe(true);
      }),
    );
  });
});

describe('findings helpers', () => {
  it('caps evidence and picks the worst severity', () => {
    expect(capEvidence('x'.repeat(5000))).toHaveLength(MAX_EVIDENCE_CHARS);
    expect(capEvidence('short')).toBe('short');
    expect(worstSeverity([{ severity: 'warn' }, { severity: 'fatal' }, { severity: 'info' }])).toBe('fatal');
    expect(worstSeverity([])).toBeUndefined();
  });
});

describe('config merging', () => {
  it('merges nested objects, replaces arrays, and sets dotted paths', () => {
    expect(mergeConfig({ a: { b: 1, c: [1, 2] } }, { a: { c: [3] } })).toEqual({ a: { b: 1, c: [3] } });
    const o: Record<string, unknown> = { a: 5 };
    setPath(o, 'a.b.c', 1);
    expect(o).toEqual({ a: { b: { c: 1 } } });
  });
});
