/** Hang attribution: silent node, node behind, hardware finding, and no blame for job-wide hangs. */
import { describe, expect, it } from 'vitest';
import { attributeHang, suspectObservation } from './attribution.ts';
import type { NodeFindingRef, ReceivedSummary } from './types.ts';

const NOW = 100_000;
const sum = (node: string, over: Partial<ReceivedSummary> = {}): ReceivedSummary => ({
  job: 'j',
  node,
  ranks: 8,
  lastStep: 500,
  stepTimeMs: 1000,
  lastProgressAt: 60_000,
  phase: 'train',
  hung: true,
  receivedAt: NOW - 1000,
  ...over,
});
const none = new Map<string, NodeFindingRef[]>();

describe('attributeHang', () => {
  it('not hung: nobody', () => {
    expect(attributeHang([sum('a', { hung: false }), sum('b', { hung: false })], none, NOW)).toBeUndefined();
  });

  it('one node stopped reporting while the others wait: that node', () => {
    const a = attributeHang(
      [sum('a'), sum('b'), sum('c', { receivedAt: NOW - 45_000, hung: false }), sum('d')],
      none,
      NOW,
    );
    expect(a).toMatchObject({ nodes: ['c'], reason: 'silent' });
    expect(suspectObservation(a!)).toMatchObject({
      code: 'train.hang.suspect',
      component: 'job:j',
      action: 'restart-job',
    });
  });

  it('one node behind the others: that node', () => {
    expect(attributeHang([sum('a'), sum('b', { lastStep: 499 }), sum('c'), sum('d')], none, NOW)).toMatchObject({
      nodes: ['b'],
      reason: 'behind',
    });
  });

  it('job-wide hang plus one node with a degraded GPU finding: that node, drain', () => {
    const hw = new Map<string, NodeFindingRef[]>([
      ['c', [{ code: 'gpu.xid.79', severity: 'fatal', component: 'gpu:0000:3b:00.0' }]],
      [
        'a',
        [
          { code: 'host.disk.full', severity: 'degraded', component: 'host' },
          { code: 'gpu.clock', severity: 'warn', component: 'gpu:1' },
        ],
      ],
    ]);
    const a = attributeHang([sum('a'), sum('b'), sum('c'), sum('d')], hw, NOW);
    expect(a).toMatchObject({ nodes: ['c'], reason: 'hardware' });
    expect(suspectObservation(a!).action).toBe('drain');
  });

  it('half the nodes silent or all behind the same step: no minority, no blame', () => {
    expect(attributeHang([sum('a'), sum('b', { receivedAt: 0 })], none, NOW)).toBeUndefined();
    expect(attributeHang([sum('a'), sum('b'), sum('c'), sum('d')], none, NOW)).toBeUndefined();
  });
});
