import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BreakerConfig,
  breakerCap,
  breakerCount,
  breakerRequest,
  breakerReset,
  breakerStatusOf,
  DEFAULT_BREAKER,
  initialBreaker,
} from './breaker.ts';

const H = 3_600_000;

describe('breaker', () => {
  it('caps by the smaller of the fraction and the absolute number', () => {
    expect(breakerCap(DEFAULT_BREAKER, 10)).toBe(1);
    expect(breakerCap(DEFAULT_BREAKER, 40)).toBe(4);
    expect(breakerCap(DEFAULT_BREAKER, 1000)).toBe(5);
    expect(breakerCap(DEFAULT_BREAKER, 3)).toBe(1); // never below minAllowed
    expect(breakerCap({ ...DEFAULT_BREAKER, minAllowed: 0 }, 3)).toBe(0);
  });

  it('trips at the cap, stays tripped until reset, and the window still counts after reset', () => {
    let s = initialBreaker();
    const out: boolean[] = [];
    for (let i = 0; i < 8; i++) {
      const v = breakerRequest(s, DEFAULT_BREAKER, 100, `n${i}`, 1000 + i);
      s = v.state;
      out.push(v.allowed);
    }
    expect(out).toEqual([true, true, true, true, true, false, false, false]);
    expect(s.tripped).toBe(true);
    expect(s.trippedWhy).toMatch(/5 isolated within 60 min; cap 5/);
    // Still tripped even after the window slid.
    expect(breakerRequest(s, DEFAULT_BREAKER, 100, 'x', 1000 + 2 * H).allowed).toBe(false);
    s = breakerReset(s);
    expect(s.tripped).toBe(false);
    expect(breakerRequest(s, DEFAULT_BREAKER, 100, 'x', 2000).allowed).toBe(false);
    expect(breakerRequest(breakerReset(s), DEFAULT_BREAKER, 100, 'x', 1000 + H + 10).allowed).toBe(true);
  });

  it('operator isolations use up the window', () => {
    const s = breakerCount(initialBreaker(), 'a', 10);
    expect(breakerRequest(s, DEFAULT_BREAKER, 10, 'b', 20).allowed).toBe(false);
    expect(breakerStatusOf(s, DEFAULT_BREAKER, 10, 20)).toMatchObject({
      used: 1,
      cap: 1,
      tripped: false,
      fleetSize: 10,
    });
  });

  it('never allows more than the cap within any window (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 5 * H }), { minLength: 1, maxLength: 60 }),
        (fleet, maxFraction, maxNodes, times) => {
          const cfg: BreakerConfig = { maxFraction, maxNodes, windowMs: H, minAllowed: 1 };
          let s = initialBreaker();
          const allowed: number[] = [];
          for (const [i, t] of [...times].sort((a, b) => a - b).entries()) {
            const v = breakerRequest(s, cfg, fleet, `n${i}`, t);
            s = v.state;
            if (v.allowed) allowed.push(t);
          }
          const cap = breakerCap(cfg, fleet);
          for (const t of allowed) expect(allowed.filter((u) => u > t - H && u <= t).length).toBeLessThanOrEqual(cap);
        },
      ),
    );
  });
});
