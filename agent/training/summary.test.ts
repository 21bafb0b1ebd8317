import { describe, expect, it } from 'vitest';
import { JobState } from './job-state.ts';
import { summarizeJob } from './summary.ts';
import { rankReportSchema, type TrainingSample } from './types.ts';

const sample = (rank: number, step: number, at: number, more: Partial<TrainingSample> = {}): TrainingSample => ({
  job: 'j',
  rank,
  step,
  receivedAt: at,
  source: 'socket',
  ...more,
});

describe('summarizeJob', () => {
  it('carries the restart from a checkpoint the ranks reported, dated by the first rank to say so', () => {
    const s = new JobState('j', 0);
    for (let step = 1; step <= 20; step++) for (const rank of [0, 1]) s.add(sample(rank, step, step * 1000));
    expect(summarizeJob('n1', s.view(), 8, false).restoredFrom).toBeUndefined();
    s.add(sample(0, 11, 30_000, { restoredFrom: 10 }));
    s.add(sample(1, 11, 30_400, { restoredFrom: 10 }));
    const sum = summarizeJob('n1', s.view(), 8, false);
    expect(sum.restoredFrom).toBe(10);
    expect(sum.restoredAt).toBe(30_000);
    expect(sum.lastStep).toBe(11);
    // Close behind the job (step 11 after 20 would not be "far behind"), the ranks' word decides.
    const near = new JobState('j', 0);
    for (let step = 1; step <= 8; step++) near.add(sample(0, step, step * 1000));
    near.add(sample(0, 6, 12_000, { restoredFrom: 5 }));
    expect(summarizeJob('n1', near.view(), 8, false)).toMatchObject({
      lastStep: 6,
      lastProgressAt: 12_000,
      restoredFrom: 5,
    });
    near.add(sample(0, 7, 13_000));
    // A slower rank's first report after the restart comes after a faster rank's second: the same restart.
    near.add(sample(1, 6, 13_100, { restoredFrom: 5 }));
    expect(near.view().restored).toEqual({ step: 5, at: 12_000 });
    expect(summarizeJob('n1', near.view(), 8, false).lastStep).toBe(7);
    // A second restart, from a later checkpoint, replaces it.
    s.add(sample(0, 16, 50_000, { restoredFrom: 15 }));
    expect(summarizeJob('n1', s.view(), 8, false)).toMatchObject({ restoredFrom: 15, restoredAt: 50_000 });
  });

  it('accepts restoredFrom on the wire and refuses a negative one', () => {
    expect(rankReportSchema.parse({ job: 'j', rank: 0, step: 5, restoredFrom: 4 }).restoredFrom).toBe(4);
    expect(rankReportSchema.safeParse({ job: 'j', rank: 0, step: 5, restoredFrom: -1 }).success).toBe(false);
  });
});
