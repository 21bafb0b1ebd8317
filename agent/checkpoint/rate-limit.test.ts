import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.ts';

describe('RateLimiter', () => {
  it('is unlimited at 0', () => {
    expect(new RateLimiter(0).take(0, 1e12)).toBe(0);
  });
  it('never lets the long-run rate exceed the cap', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 8 << 20 }), { minLength: 1, maxLength: 50 }), (chunks) => {
        const rate = 100 << 20;
        const burst = 16 << 20;
        const rl = new RateLimiter(rate, burst);
        let now = 0;
        let total = 0;
        for (const c of chunks) {
          now += rl.take(now, c);
          total += c;
        }
        // Everything written by `now` fits in burst + rate × elapsed.
        expect(total).toBeLessThanOrEqual(burst + (rate * now) / 1000 + 1);
      }),
    );
  });
});
