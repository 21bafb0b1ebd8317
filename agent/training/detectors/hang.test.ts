/** Hang detector on synthetic step sequences: warm-up, jitter, eval/checkpoint pauses, real hangs. */
import { describe, expect, it } from 'vitest';
import { JobState } from '../job-state.ts';
import type { TrainingPhase } from '../types.ts';
import { detectHang, hangTimeout } from './hang.ts';
import { DEFAULT_DETECTOR_SETTINGS } from './settings.ts';

const S = { ...DEFAULT_DETECTOR_SETTINGS.hang, floorMs: 1000 };

/** A job with `n` steps of `ms` each (optional jitter from a fixed pattern), starting at t=0. */
function steady(n: number, ms: number, jitter = 0): { job: JobState; t: number } {
  const job = new JobState('j', 0);
  let t = 0;
  for (let i = 1; i <= n; i++) {
    t += ms * (1 + jitter * Math.sin(i * 1.7));
    job.add({ job: 'j', rank: 0, step: i, receivedAt: t, source: 'socket' });
  }
  return { job, t };
}

const add = (job: JobState, step: number, at: number, phase?: TrainingPhase) =>
  job.add({ job: 'j', rank: 0, step, receivedAt: at, source: 'socket', ...(phase ? { phase } : {}) });

describe('detectHang', () => {
  it('no step yet: warm-up grace (20 min default), then a hang', () => {
    const job = new JobState('j', 0);
    add(job, 0, 0);
    expect(detectHang(job.view(), 19 * 60_000, S)).toEqual([]);
    const [o] = detectHang(job.view(), 21 * 60_000, S);
    expect(o?.code).toBe('train.hang');
    expect(o?.component).toBe('job:j');
    expect(o?.severity).toBe('degraded');
    expect(o?.action).toBe('restart-job');
  });

  it('during the first few intervals a long compile step is not a hang', () => {
    const job = new JobState('j', 0);
    add(job, 1, 0);
    add(job, 2, 120_000); // first interval: compile
    add(job, 3, 122_000);
    expect(hangTimeout(job.view(), S).basis).toMatch(/warm-up/);
    expect(detectHang(job.view(), 122_000 + 10 * 60_000, S)).toEqual([]);
  });

  it('steady 2 s steps with ±10% jitter: timeout ≈ 2.5 × p90 (under 3 intervals), quiet before, hang after', () => {
    const { job, t } = steady(60, 2000, 0.1);
    const to = hangTimeout(job.view(), S);
    expect(to.basis).toMatch(/^2.5 × p90 interval/);
    expect(to.timeoutMs).toBeGreaterThan(5000);
    expect(to.timeoutMs).toBeLessThan(6000);
    expect(detectHang(job.view(), t + to.timeoutMs - 1, S)).toEqual([]);
    const [o] = detectHang(job.view(), t + to.timeoutMs + 1, S);
    expect(o?.message).toMatch(/no progress for 5\.\d s since step 60/);
  });

  it('the floor applies to very fast steps', () => {
    const { job, t } = steady(50, 10);
    expect(hangTimeout(job.view(), { ...S, floorMs: 60_000 }).timeoutMs).toBe(60_000);
    expect(detectHang(job.view(), t + 59_000, { ...S, floorMs: 60_000 })).toEqual([]);
  });

  it('a declared checkpoint phase gets grace; a second checkpoint gets kPhase × the longest seen', () => {
    const { job, t } = steady(30, 1000);
    add(job, 30, t, 'checkpoint');
    expect(detectHang(job.view(), t + 10 * 60_000, S)).toEqual([]); // first checkpoint: 30 min grace
    add(job, 30, t + 40_000, 'train'); // it took 40 s
    let at = t + 40_000;
    // Step 45 is not a multiple of the pause learned at step 30: only the declared phase counts.
    for (let s = 31; s <= 45; s++) {
      at += 1000;
      add(job, s, at);
    }
    add(job, 45, at, 'checkpoint');
    expect(hangTimeout(job.view(), S).timeoutMs).toBe(80_000);
    expect(detectHang(job.view(), at + 79_000, S)).toEqual([]);
    expect(detectHang(job.view(), at + 81_000, S)[0]?.message).toMatch(/in checkpoint phase/);
  });

  it('an eval phase that never ends is still a hang after its grace', () => {
    const { job, t } = steady(30, 1000);
    add(job, 30, t, 'eval');
    expect(detectHang(job.view(), t + 31 * 60_000, S)[0]?.code).toBe('train.hang');
  });

  it('learns undeclared periodic pauses (a checkpoint every 50 steps) and gives grace only at those steps', () => {
    const job = new JobState('j', 0);
    let t = 0;
    for (let s = 1; s <= 150; s++) {
      t += s === 51 || s === 101 ? 30_000 : 1000; // pauses after steps 50 and 100
      add(job, s, t);
    }
    // At step 150 (a multiple of the learned period 50) a 30 s silence is expected.
    const to = hangTimeout(job.view(), S);
    expect(to.basis).toMatch(/learned pause every 50 steps/);
    expect(detectHang(job.view(), t + 45_000, S)).toEqual([]);
    expect(detectHang(job.view(), t + 61_000, S)[0]?.code).toBe('train.hang');
    // One step later the normal timeout applies again.
    add(job, 151, t + 1000);
    expect(hangTimeout(job.view(), S).timeoutMs).toBeLessThan(4000);
  });

  it('pauses do not inflate the normal timeout', () => {
    const job = new JobState('j', 0);
    let t = 0;
    for (let s = 1; s <= 100; s++) {
      t += s % 20 === 0 ? 60_000 : 1000;
      add(job, s, t);
    }
    add(job, 101, t + 1000);
    expect(hangTimeout(job.view(), S).timeoutMs).toBeLessThan(4000);
  });

  it('idle jobs never hang', () => {
    const { job, t } = steady(30, 1000);
    add(job, 30, t, 'idle');
    expect(detectHang(job.view(), t + 3_600_000, S)).toEqual([]);
  });

  it('names the ranks that are behind', () => {
    const job = new JobState('j', 0);
    let t = 0;
    for (let s = 1; s <= 20; s++) {
      t += 1000;
      for (const r of [0, 1, 2])
        if (!(r === 2 && s === 20))
          job.add({ job: 'j', rank: r, node: `n${r}`, step: s, receivedAt: t, source: 'socket' });
    }
    expect(detectHang(job.view(), t + 10_000, S)[0]?.message).toMatch(/ranks behind: 2@n2 \(step 19\)/);
  });

  it('a restart from an earlier checkpoint starts the history again instead of looking hung', () => {
    const { job, t } = steady(100, 1000);
    add(job, 40, t + 5000);
    expect(job.view().progress).toHaveLength(1);
    expect(detectHang(job.view(), t + 6000, S)).toEqual([]);
  });
});
