import { describe, expect, it } from 'vitest';
import { JobHistory } from './job-history.ts';
import { type JobFindingRef, jobDetail, jobSummary } from './jobs-view.ts';

const T0 = 1_800_000_000_000;

function history(): JobHistory {
  const h = new JobHistory();
  for (let i = 0; i < 20; i++) {
    for (const [node, ms] of [
      ['n1', 1000],
      ['n2', 1000],
      ['n3', 1150],
    ] as const) {
      h.add(
        node,
        { job: 'llm', ranks: 8, lastStep: i, stepTimeMs: ms, lastProgressAt: T0 + i * 5000, phase: 'train' },
        T0 + i * 5000,
      );
    }
  }
  return h;
}

const straggler: JobFindingRef = {
  node: 'n3',
  code: 'train.straggler',
  component: 'job:llm',
  severity: 'degraded',
  message: 'n3 is 15% slower',
  evidence: 'ratio 1.15',
  firstSeen: T0 + 60_000,
  active: true,
};

describe('job views', () => {
  it('summarises a job: nodes, ranks, newest step, median step time, state from its findings', () => {
    const s = jobSummary(history().get('llm')!, [straggler], T0 + 100_000);
    expect(s).toMatchObject({
      id: 'llm',
      nodes: ['n1', 'n2', 'n3'],
      ranks: 24,
      step: 19,
      stepTimeMs: 1000,
      state: 'straggler',
    });
    expect(jobSummary(history().get('llm')!, [], T0 + 100_000).state).toBe('running');
    expect(jobSummary(history().get('llm')!, [], T0 + 3_600_000).state).toBe('stopped');
  });

  it('drops a node whose ranks went idle while the others train (replaced after a failure)', () => {
    const h = history();
    h.add('n2', { job: 'llm', ranks: 8, lastStep: 19, lastProgressAt: T0 + 95_000, phase: 'idle' }, T0 + 96_000);
    h.add('n4', { job: 'llm', ranks: 8, lastStep: 20, lastProgressAt: T0 + 100_000, phase: 'train' }, T0 + 100_000);
    expect(jobSummary(h.get('llm')!, [], T0 + 100_000)).toMatchObject({ nodes: ['n1', 'n3', 'n4'], ranks: 24 });
    // Every node idle: the job stopped, and its nodes are still listed.
    const stopped = new JobHistory();
    stopped.add('a', { job: 'j', ranks: 2, lastStep: 5, lastProgressAt: T0, phase: 'idle' }, T0);
    expect(jobSummary(stopped.get('j')!, [], T0).nodes).toEqual(['a']);
  });

  it('puts every node on one time axis and names the stragglers', () => {
    const d = jobDetail(history().get('llm')!, [straggler], T0 + 100_000);
    expect(d.stepTimes.series.map((s) => s.node)).toEqual(['n1', 'n2', 'n3']);
    for (const s of d.stepTimes.series) expect(s.values).toHaveLength(d.stepTimes.t.length);
    expect(d.stepTimes.series[2]?.values.filter((v) => v !== null).every((v) => v === 1150)).toBe(true);
    expect(d.stragglers).toEqual(['n3']);
    expect(d.events[0]).toMatchObject({ kind: 'straggler', node: 'n3', code: 'train.straggler' });
  });
});

describe('job loss curve', () => {
  it('puts the nodes’ reported losses on the step-time axis', () => {
    const h = new JobHistory();
    for (let i = 0; i < 10; i++) {
      h.add(
        'n1',
        {
          job: 'llm',
          ranks: 8,
          lastStep: i,
          stepTimeMs: 1000,
          lastProgressAt: T0 + i * 5000,
          phase: 'train',
          loss: 5 - i * 0.1,
        },
        T0 + i * 5000,
      );
    }
    const d = jobDetail(h.get('llm')!, [], T0 + 50_000);
    expect(d.loss.t).toEqual(d.stepTimes.t);
    const values = d.loss.values.filter((v): v is number => v !== null);
    expect(values.length).toBeGreaterThan(5);
    expect(values[values.length - 1]).toBeCloseTo(4.1);
  });
});
