import fc from 'fast-check';
import { validate } from 'node-cron';
import { describe, expect, it } from 'vitest';
import { cronForInterval, staggerSecond } from './schedule.ts';

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

  it('moves runs off the top of the minute by an offset, keeping the period', () => {
    expect(cronForInterval(15, 7)).toEqual({ expression: '7,22,37,52 * * * * *', effectiveSec: 15 });
    expect(cronForInterval(30, 44)).toEqual({ expression: '14,44 * * * * *', effectiveSec: 30 });
    expect(cronForInterval(60, 13)).toEqual({ expression: '13 * * * * *', effectiveSec: 60 });
    expect(cronForInterval(300, 75)).toEqual({ expression: '15 */5 * * * *', effectiveSec: 300 });
    expect(cronForInterval(1, 30).expression).toBe('* * * * * *');
  });

  it('property: an offset expression is valid and fires exactly every effectiveSec within the minute', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 59 }), fc.integer({ min: 0, max: 1000 }), (s, off) => {
        const { expression, effectiveSec } = cronForInterval(s, off);
        expect(validate(expression)).toBe(true);
        const field = expression.split(' ')[0]!;
        const seconds = field.startsWith('*/')
          ? Array.from({ length: 60 / effectiveSec }, (_, i) => i * effectiveSec)
          : field.split(',').map(Number);
        expect(seconds.length * effectiveSec).toBe(60);
        seconds.forEach((v, i) => {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThan(60);
          if (i > 0) expect(v - seconds[i - 1]!).toBe(effectiveSec);
        });
      }),
    );
  });
});

describe('staggerSecond', () => {
  it('is stable, within a minute, and spreads the probes of a host', () => {
    expect(staggerSecond('node01/gpu')).toBe(staggerSecond('node01/gpu'));
    const probes = ['gpu', 'rdma', 'host', 'host-hw', 'kernel-log', 'nvme', 'driver'];
    const secs = probes.map((p) => staggerSecond(`node01/${p}`));
    for (const v of secs) expect(v >= 0 && v < 60).toBe(true);
    expect(new Set(secs).size).toBeGreaterThan(4);
  });
});
