/** JobAnalyzer: four nodes, one 15% slower → train.straggler on that node only; hang suspects. */
import { describe, expect, it } from 'vitest';
import { JobAnalyzer } from './job-analyzer.ts';
import type { NodeJobSummary } from './types.ts';

const summary = (node: string, stepTimeMs: number, lastStep: number, hung = false): NodeJobSummary => ({
  job: 'llm',
  node,
  ranks: 8,
  lastStep,
  stepTimeMs,
  lastProgressAt: 0,
  phase: 'train',
  ...(hung ? { hung } : {}),
});

describe('JobAnalyzer', () => {
  it('4 nodes, gpu03 15% slower: train.straggler for gpu03 and no other, only after the sustain window', () => {
    const ja = new JobAnalyzer();
    const base = { gpu01: 1000, gpu02: 1010, gpu03: 1150, gpu04: 995 };
    let first: Map<string, unknown> | undefined;
    for (let t = 0; t <= 90_000; t += 5000) {
      for (const [node, ms] of Object.entries(base))
        ja.ingest(node, summary(node, ms * (1 + 0.01 * Math.sin(t)), t / 1000), t);
      if (t === 30_000) first = ja.evaluate(t);
    }
    expect(first?.size).toBe(0);
    const out = ja.evaluate(90_000);
    expect([...out.keys()]).toEqual(['gpu03']);
    expect(out.get('gpu03')?.[0]).toMatchObject({
      code: 'train.straggler',
      component: 'job:llm',
      severity: 'degraded',
    });
    expect(out.get('gpu03')?.[0]?.message).toMatch(/gpu03 steps 1[45]% slower/);
  });

  it('a node that stops sending while the others report hung is the suspect', () => {
    const ja = new JobAnalyzer();
    for (const n of ['a', 'b', 'c']) ja.ingest(n, summary(n, 1000, 10), 0);
    for (const n of ['a', 'b']) ja.ingest(n, summary(n, 1000, 10, true), 40_000);
    const out = ja.evaluate(40_000);
    expect([...out.keys()]).toEqual(['c']);
    expect(out.get('c')?.[0]?.code).toBe('train.hang.suspect');
  });

  it('hardware findings set per node point a job-wide hang at that node; forgetNode removes it', () => {
    const ja = new JobAnalyzer();
    for (const n of ['a', 'b', 'c']) ja.ingest(n, summary(n, 1000, 10, true), 0);
    ja.setNodeFindings('b', [{ code: 'ib.port.down', severity: 'degraded', component: 'ib:mlx5_0/1' }]);
    expect(ja.evaluate(1000).get('b')?.[0]?.action).toBe('drain');
    ja.forgetNode('b');
    expect(ja.evaluate(1000).size).toBe(0);
  });
});
