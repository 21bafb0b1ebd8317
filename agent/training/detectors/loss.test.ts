/** Loss detectors: NaN/Inf, spikes (robust z, early ratio, one event per episode), flat losses. */
import { describe, expect, it } from 'vitest';
import type { LossPoint } from '../job-state.ts';
import { detectLossFlat, detectLossNan, detectLossSpikes } from './loss.ts';
import { DEFAULT_DETECTOR_SETTINGS } from './settings.ts';

const S = DEFAULT_DETECTOR_SETTINGS.loss;
const pts = (xs: number[]): LossPoint[] => xs.map((loss, i) => ({ seq: i + 1, step: i + 1, loss, at: i, rank: 0 }));
/** A decreasing noisy loss curve. */
const curve = (n: number) => Array.from({ length: n }, (_, i) => 3 + 5 * Math.exp(-i / 30) + 0.05 * Math.sin(i * 1.9));

describe('loss detectors', () => {
  it('NaN and Inf are train.loss.nan while the latest loss is not finite', () => {
    expect(detectLossNan('j', pts([2, 1.9, Number.NaN]))[0]?.code).toBe('train.loss.nan');
    expect(detectLossNan('j', pts([2, Number.POSITIVE_INFINITY]))[0]?.severity).toBe('degraded');
    expect(detectLossNan('j', pts([2, Number.NaN, 1.8]))).toEqual([]);
    expect(detectLossNan('j', pts([2]), 3)[0]?.message).toMatch(/3 NaN iterations/);
  });

  it('a healthy decreasing noisy curve has no spikes', () => {
    expect(detectLossSpikes('j', pts(curve(300)), 0, S)).toEqual([]);
  });

  it('a spike is one event, at its step, even when the loss stays up for a few reports', () => {
    const xs = curve(100);
    xs[80] = 9;
    xs[81] = 7;
    xs[82] = 6;
    const out = detectLossSpikes('j', pts(xs), 0, S);
    expect(out).toHaveLength(1);
    expect(out[0]?.message).toMatch(/at step 81/);
    expect(out[0]?.kind).toBe('event');
  });

  it('resumes after a cursor: an old spike is not reported again', () => {
    const xs = curve(100);
    xs[50] = 20;
    expect(detectLossSpikes('j', pts(xs), 60, S)).toEqual([]);
    expect(detectLossSpikes('j', pts(xs), 50, S)).toHaveLength(1);
  });

  it('early in a run: a jump to ≥ 2× the median so far, but not a noisy start', () => {
    expect(detectLossSpikes('j', pts([12.4, 12.4, 44.2]), 0, S)).toHaveLength(1);
    expect(detectLossSpikes('j', pts([12.6, 10.6, 17.4, 12.1, 11.1, 10.0, 8.5]), 0, S)).toEqual([]);
  });

  it('a small rise above a very tight history is not a spike (minimum relative rise)', () => {
    const xs = Array.from({ length: 60 }, (_, i) => 2 + 0.0001 * Math.sin(i));
    xs.push(2.1);
    expect(detectLossSpikes('j', pts(xs), 0, S)).toEqual([]);
  });

  it('flat: the same loss for N reports is train.loss.flat; any movement is not', () => {
    expect(detectLossFlat('j', pts(Array(50).fill(0.6523)), S)[0]?.code).toBe('train.loss.flat');
    expect(detectLossFlat('j', pts(Array(49).fill(0.6523)), S)).toEqual([]);
    expect(detectLossFlat('j', pts([...Array(49).fill(0.6523), 0.6932]), S)).toEqual([]);
  });
});
