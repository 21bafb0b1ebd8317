import { describe, expect, it } from 'vitest';
import type { Finding } from '../../core/finding.ts';
import { AlertTracker } from './alert-tracker.ts';

const f = (over: Partial<Finding> = {}): Finding => ({
  code: 'gpu.ecc.dbe',
  component: 'gpu:1',
  severity: 'degraded',
  action: 'reset-gpu',
  kind: 'condition',
  message: 'DBE',
  evidence: 'dbe=2',
  firstSeen: 1000,
  lastSeen: 1000,
  count: 1,
  ...over,
});

describe('AlertTracker', () => {
  it('sends once, re-sends after resendMs, resolves with endsAt, then forgets', () => {
    const t = new AlertTracker({ resendMs: 60_000, minSeverity: 'degraded' });
    t.onFinding('gpu01', 'opened', f(), 'job-1', 1000);
    let d = t.due(1000);
    expect(d.alerts).toHaveLength(1);
    expect(d.alerts[0]!.labels).toEqual({
      alertname: 'KeelsonFinding',
      node: 'gpu01',
      code: 'gpu.ecc.dbe',
      severity: 'degraded',
      component: 'gpu:1',
      job: 'job-1',
    });
    expect(d.alerts[0]!.endsAt).toBe(new Date(1000 + 240_000).toISOString());
    t.markSent(d.keys, 1000);
    expect(t.due(30_000).alerts).toHaveLength(0);
    expect(t.due(61_000).alerts).toHaveLength(1);
    t.onFinding('gpu01', 'cleared', f(), undefined, 70_000);
    d = t.due(70_000);
    expect(d.alerts[0]!.endsAt).toBe(new Date(70_000).toISOString());
    t.markSent(d.keys, 70_000);
    expect(t.due(500_000).alerts).toHaveLength(0);
    expect(t.active()).toEqual([]);
  });

  it('keeps an undelivered resolution due until delivered', () => {
    const t = new AlertTracker({ resendMs: 60_000, minSeverity: 'degraded' });
    t.onFinding('n', 'opened', f(), undefined, 0);
    t.markSent(t.due(0).keys, 0);
    t.onFinding('n', 'cleared', f(), undefined, 10);
    expect(t.due(10).alerts).toHaveLength(1);
    expect(t.due(20).alerts).toHaveLength(1); // not marked sent: still due
  });

  it('ignores findings below the alerting severity', () => {
    const t = new AlertTracker({ resendMs: 60_000, minSeverity: 'degraded' });
    t.onFinding('n', 'opened', f({ severity: 'warn' }), undefined, 0);
    expect(t.due(0).alerts).toEqual([]);
  });
});
