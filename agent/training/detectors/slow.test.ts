/** Slowdown detector: sustained regressions alert, single outliers and jitter never do. */
import { describe, expect, it } from 'vitest';
import type { ProgressPoint } from '../job-state.ts';
import { DEFAULT_DETECTOR_SETTINGS } from './settings.ts';
import { detectSlow, slowVerdict, stepTimes } from './slow.ts';

const S = DEFAULT_DETECTOR_SETTINGS.slow;

function progress(times: number[]): ProgressPoint[] {
  const out: ProgressPoint[] = [{ step: 0, at: 0 }];
  let t = 0;
  for (const [i, ms] of times.entries()) {
    t += ms;
    out.push({ step: i + 1, at: t });
  }
  return out;
}
const jitter = (n: number, ms: number, j = 0.05) =>
  Array.from({ length: n }, (_, i) => ms * (1 + j * Math.sin(i * 2.3)));

describe('detectSlow', () => {
  it('steady jittery steps: nothing', () => {
    expect(detectSlow('j', progress(jitter(200, 1000)), S)).toEqual([]);
  });

  it('a single 10× outlier (or a few) never alerts', () => {
    const t = jitter(100, 1000);
    t[90] = 10_000;
    t[95] = 8000;
    t[97] = 5000;
    expect(detectSlow('j', progress(t), S)).toEqual([]);
  });

  it('a sustained 30% slowdown alerts once the window is mostly slow', () => {
    const base = jitter(80, 1000);
    expect(detectSlow('j', progress([...base, ...jitter(9, 1300)]), S)).toEqual([]);
    const [o] = detectSlow('j', progress([...base, ...jitter(15, 1300)]), S);
    expect(o?.code).toBe('train.slow');
    expect(o?.severity).toBe('warn');
    expect(o?.message).toMatch(/(2[5-9]|3\d)% slower/);
  });

  it('a 10% slowdown is under the 20% threshold', () => {
    expect(detectSlow('j', progress([...jitter(80, 1000), ...jitter(40, 1100)]), S)).toEqual([]);
  });

  it('warm-up steps (compile) do not count as baseline or slowness', () => {
    expect(detectSlow('j', progress([60_000, 20_000, 5000, ...jitter(100, 1000)]), S)).toEqual([]);
  });

  it('checkpoint pauses are left out of step times', () => {
    const t = jitter(200, 1000).map((v, i) => (i % 25 === 24 ? 40_000 : v));
    expect(detectSlow('j', progress(t), S)).toEqual([]);
  });

  it('uses rank-measured stepMs when present', () => {
    const p: ProgressPoint[] = [];
    for (let i = 0; i < 100; i++) p.push({ step: i * 10, at: i * 10_000, stepMs: i < 60 ? 1000 : 1500 });
    expect(stepTimes(p).slice(-1)).toEqual([1500]);
    expect(slowVerdict(stepTimes(p), S)?.ratio).toBeCloseTo(1.5, 5);
  });

  it('not enough history: no verdict', () => {
    expect(slowVerdict(jitter(30, 1000), S)).toBeUndefined();
  });
});
