import fc from 'fast-check';
import { validate } from 'node-cron';
import { describe, expect, it } from 'vitest';
import { cronForInterval } from './schedule.ts';

describe('cronForInterval', () => {
  it('maps common intervals exactly', () => {
    expect(cronForInterval(1)).toEqual({ expression: '* * * * * *', effectiveSec: 1 });
    expect(cronForInterval(15)).toEqual({ expression: '*/15 * * * * *', effectiveSec: 15 });
    expect(cronForInterval(60)).toEqual({ expression: '0 * * * * *', effectiveSec: 60 });
    expect(cronForInterval(300)).toEqual({ expression: '0 */5 * * * *', effectiveSec: 300 });
    expect(cronForInterval(3600)).toEqual({ expression: '0 0 * * * *', effectiveSec: 3600 });
    expect(cronForInterval(100_000)).toEqual({ expression: '0 0 0 * * *', effectiveSec: 86_400 });
  });

  it('rounds intervals cron cannot express to the nearest it can', () => {
    expect(cronForInterval(7).effectiveSec).toBe(6);
    expect(cronForInterval(45).effectiveSec).toBe(30);
    expect(cronForInterval(90).effectiveSec).toBe(60);
  });

  it('always yields a valid expression within a factor of two of the request', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 86_400 }), (s) => {
        const { expression, effectiveSec } = cronForInterval(s);
        expect(validate(expression)).toBe(true);
        expect(effectiveSec / s).toBeGreaterThanOrEqual(0.5);
        expect(effectiveSec / s).toBeLessThanOrEqual(2);
      }),
    );
  });
});
