/** Straggler detection: ratios to the other nodes, sustained windows, stale and non-training nodes. */
import { describe, expect, it } from 'vitest';
import { isStraggler, type RatioPoint, DEFAULT_STRAGGLER_SETTINGS as S, stepTimeRatios } from './straggler.ts';
import type { ReceivedSummary } from './types.ts';

const sum = (node: string, stepTimeMs: number, over: Partial<ReceivedSummary> = {}): ReceivedSummary => ({
  job: 'j',
  node,
  ranks: 8,
  lastStep: 100,
  stepTimeMs,
  lastProgressAt: 0,
  phase: 'train',
  receivedAt: 0,
  ...over,
});

describe('stepTimeRatios', () => {
  it('compares each node with the median of the others', () => {
    const r = stepTimeRatios([sum('a', 1000), sum('b', 1010), sum('c', 990), sum('d', 1150)], 0, S.staleMs);
    expect(r.get('d')).toBeCloseTo(1150 / 1000, 6);
    expect(r.get('a')).toBeCloseTo(1000 / 1010, 6);
  });

  it('two nodes: each against the other', () => {
    const r = stepTimeRatios([sum('a', 1000), sum('b', 1200)], 0, S.staleMs);
    expect(r.get('b')).toBeCloseTo(1.2, 6);
  });

  it('leaves out stale, hung, non-training and unknown step times', () => {
    const r = stepTimeRatios(
      [
        sum('a', 1000),
        sum('b', 1000),
        sum('c', 5000, { phase: 'checkpoint' }),
        sum('d', 5000, { receivedAt: -60_000 }),
        sum('e', 5000, { hung: true }),
        { ...sum('f', 0), stepTimeMs: undefined },
      ],
      0,
      S.staleMs,
    );
    expect([...r.keys()].sort()).toEqual(['a', 'b']);
  });
});

describe('isStraggler', () => {
  const hist = (ratios: number[], every = 10_000): RatioPoint[] => ratios.map((ratio, i) => ({ at: i * every, ratio }));
  const now = (h: RatioPoint[]) => h[h.length - 1]?.at ?? 0;

  it('sustained 15% over the window: yes', () => {
    const h = hist([1.15, 1.16, 1.14, 1.15, 1.15, 1.16, 1.15]);
    expect(isStraggler(h, now(h), S)).toBe(true);
  });

  it('9% is under the threshold; a single slow reading is not sustained', () => {
    const h1 = hist([1.09, 1.09, 1.09, 1.09, 1.09, 1.09, 1.09]);
    expect(isStraggler(h1, now(h1), S)).toBe(false);
    const h2 = hist([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.5]);
    expect(isStraggler(h2, now(h2), S)).toBe(false);
  });

  it('a burst of summaries that does not cover the window is not enough', () => {
    const h = hist([1.2, 1.2, 1.2, 1.2, 1.2, 1.2], 1000);
    expect(isStraggler(h, now(h), S)).toBe(false);
  });

  it('one dip inside a slow window does not clear it', () => {
    const h = hist([1.15, 1.15, 1.15, 1.02, 1.15, 1.15, 1.15]);
    expect(isStraggler(h, now(h), S)).toBe(true);
  });
});
