/** parseSince: durations back from now, ISO dates (UTC unless zoned), epoch ms; anything else CONFIG_INVALID. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeelsonError, KeelsonError } from '../../core/errors.ts';
import { parseSince } from './since.ts';

const NOW = Date.UTC(2026, 0, 8, 12, 0, 0);
const H = 3_600_000;

function failure(text: string, now = NOW): KeelsonError {
  try {
    parseSince(text, now);
  } catch (err) {
    if (err instanceof KeelsonError) return err;
    throw err;
  }
  throw new Error(`parseSince(${JSON.stringify(text)}) did not throw`);
}

describe('parseSince', () => {
  it('reads durations back from now', () => {
    expect(parseSince('7d', NOW)).toBe(NOW - 7 * 24 * H);
    expect(parseSince('24h', NOW)).toBe(NOW - 24 * H);
    expect(parseSince('30m', NOW)).toBe(NOW - 30 * 60_000);
    expect(parseSince('90s', NOW)).toBe(NOW - 90_000);
    expect(parseSince('2w', NOW)).toBe(NOW - 14 * 24 * H);
    expect(parseSince(' 7 D ', NOW)).toBe(NOW - 7 * 24 * H);
    expect(parseSince('999999999d', NOW)).toBe(0);
  });

  it('reads ISO dates as UTC unless they carry a zone', () => {
    expect(parseSince('2026-01-07', NOW)).toBe(Date.UTC(2026, 0, 7));
    expect(parseSince('2026-01-07T10:00', NOW)).toBe(Date.UTC(2026, 0, 7, 10));
    expect(parseSince('2026-01-07 10:00:30Z', NOW)).toBe(Date.UTC(2026, 0, 7, 10, 0, 30));
    expect(parseSince('2026-01-07T10:00:30.25Z', NOW)).toBe(Date.UTC(2026, 0, 7, 10, 0, 30, 250));
    expect(parseSince('2026-01-07T10:00+02:00', NOW)).toBe(Date.UTC(2026, 0, 7, 8));
    expect(parseSince('2026-01-07T10:00-0130', NOW)).toBe(Date.UTC(2026, 0, 7, 11, 30));
    expect(parseSince('2024-02-29', NOW)).toBe(Date.UTC(2024, 1, 29));
  });

  it('reads epoch milliseconds, and 0 as the beginning', () => {
    expect(parseSince(String(NOW - 5000), NOW)).toBe(NOW - 5000);
    expect(parseSince('0', NOW)).toBe(0);
  });

  it('refuses what it cannot read, naming the reason, with CONFIG_INVALID', () => {
    const cases: [string, RegExp][] = [
      ['', /is empty/],
      ['   ', /is empty/],
      ['7', /no unit/],
      ['yesterday', /not understood/],
      ['7y', /not understood/],
      ['-7d', /not understood/],
      ['1.5h', /not understood/],
      ['2026-02-30', /not a calendar date/],
      ['2025-02-29', /not a calendar date/],
      ['2026-13-01', /not a calendar date/],
      ['2026-01-07T24:00Z', /not a time of day/],
      ['2026-01-07T10:00+25:00', /zone offset/],
      ['2026-01-09', /in the future/],
      [String(NOW + 1), /in the future/],
      ['1969-12-31', /before 1970/],
      ['99999999999999999999', /too large/],
    ];
    for (const [text, why] of cases) {
      const err = failure(text);
      expect(err.code, text).toBe('CONFIG_INVALID');
      expect(err.message, text).toMatch(why);
      expect(err.message, text).toMatch(/expected a duration back from now \(7d, 24h, 30m, 90s\)/);
    }
  });

  it('maps every duration to now minus its length (never below 0)', () => {
    const unit = { s: 1000, m: 60_000, h: H, d: 24 * H, w: 7 * 24 * H };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 999_999_999 }),
        fc.constantFrom(...(Object.keys(unit) as (keyof typeof unit)[])),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        (n, u, now) => {
          expect(parseSince(`${n}${u}`, now)).toBe(Math.max(0, now - n * unit[u]));
        },
      ),
    );
  });

  it('round-trips any instant written as ISO or as epoch ms', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100_000_000_000, max: 4_102_444_800_000 }), (t) => {
        expect(parseSince(new Date(t).toISOString(), t)).toBe(t);
        expect(parseSince(String(t), t + 1)).toBe(t);
      }),
    );
  });

  it('on any text either answers a time in [0, now] or throws CONFIG_INVALID', () => {
    const texts = fc.oneof(
      fc.string(),
      fc.stringMatching(/^[0-9smhdwTZ:+\- .]{0,24}$/),
      fc.stringMatching(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?(Z|[+-]\d{2}:\d{2})?$/),
    );
    fc.assert(
      fc.property(texts, (text) => {
        let v: number;
        try {
          v = parseSince(text, NOW);
        } catch (err) {
          expect(isKeelsonError(err, 'CONFIG_INVALID')).toBe(true);
          return;
        }
        expect(Number.isSafeInteger(v)).toBe(true);
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(NOW);
      }),
      { numRuns: 500 },
    );
  });
});
