/** The simulated jobs' decisions: rank layout, synchronous step time, checkpoints, spares, local restarts. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkpointDue,
  chooseSpare,
  layoutRanks,
  localRestartVerdict,
  nodeStepMs,
  ranksSavedBeforeFailure,
  stepWallMs,
} from './training-plan.ts';

describe('layoutRanks', () => {
  it('gives every rank 0..N·R−1 to exactly one node, in node order (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 16 }), (n, r) => {
        const nodes = Array.from({ length: n }, (_, i) => `n${i}`);
        const layout = layoutRanks(nodes, r);
        const all = nodes.flatMap((x) => layout.get(x) ?? []);
        expect(all).toEqual(Array.from({ length: n * r }, (_, i) => i));
        expect(layout.get('n0')?.[0]).toBe(0);
      }),
    );
  });
});

describe('step time', () => {
  const pace = (stepMs: number, factor = 1, failed = false) => ({ stepMs, factor, failed });
  it('a straggler reports its own compute time; the job waits for it', () => {
    expect(nodeStepMs(pace(1000, 1.5))).toBe(1500);
    expect(stepWallMs([pace(1000), pace(1000, 1.5), pace(900)])).toBe(1500);
  });
  it('dead nodes do not count; no live node is 0', () => {
    expect(stepWallMs([pace(1000), pace(1000, 3, true)])).toBe(1000);
    expect(stepWallMs([pace(1000, 1, true)])).toBe(0);
  });
});

describe('checkpoints', () => {
  it('due after every K-th step, never at step 0 or with K = 0', () => {
    expect([5, 10, 15].every((s) => checkpointDue(s, 5))).toBe(true);
    expect([0, 1, 4, 6, 9].some((s) => checkpointDue(s, 5))).toBe(false);
    expect(checkpointDue(10, 0)).toBe(false);
  });
  it('a node dying mid-save leaves some of its ranks unsaved, always (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1000), { minLength: 1, maxLength: 16 }), (ranks) => {
        const saved = ranksSavedBeforeFailure(ranks);
        expect(saved.length).toBeLessThan(ranks.length);
        expect(saved).toEqual(ranks.slice(0, saved.length));
      }),
    );
    expect(ranksSavedBeforeFailure([8, 9, 10, 11, 12, 13, 14, 15])).toEqual([8, 9, 10, 11]);
  });
});

describe('chooseSpare', () => {
  it('the first free node by name that was never taken out of service', () => {
    const all = ['node03', 'node01', 'node02', 'node04'];
    expect(chooseSpare(all, new Set(['node01']), new Set(['node02']))).toBe('node03');
    expect(chooseSpare(all, new Set(['node01', 'node03']), new Set(['node02', 'node04']))).toBeUndefined();
  });
});

describe('localRestartVerdict', () => {
  const job = { nodes: ['a', 'b'], hung: false, failedNodes: [] as string[], stopped: false, restarting: false };
  it('restarts a hung job or one with dead ranks, asked from one of its nodes', () => {
    expect(localRestartVerdict({ ...job, hung: true }, 'a')).toBe('restart');
    expect(localRestartVerdict({ ...job, failedNodes: ['b'] }, 'b')).toBe('restart');
  });
  it('one restart for the many requests of a hung job; none for a node the job left or a healthy job', () => {
    expect(localRestartVerdict({ ...job, hung: true, restarting: true }, 'b')).toBe('restarting');
    expect(localRestartVerdict(job, 'a')).toBe('progressing');
    expect(localRestartVerdict({ ...job, hung: true }, 'c')).toBe('not-in-job');
    expect(localRestartVerdict({ ...job, hung: true, stopped: true }, 'a')).toBe('stopped');
  });
});
