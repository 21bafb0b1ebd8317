import { describe, expect, it } from 'vitest';
import type { Observation } from '../core/finding.ts';
import { HealthState } from './health-state.ts';

const opts = { clearAfterRuns: 2, eventTtlMs: 60_000 };

const portDown: Observation = {
  code: 'ib.port.down',
  component: 'ib:mlx5_0/1',
  severity: 'degraded',
  action: 'drain',
  kind: 'condition',
  message: 'port down',
  evidence: 'state: 1: DOWN',
};
const xid: Observation = {
  code: 'gpu.xid.79',
  component: 'gpu:3',
  severity: 'fatal',
  action: 'drain',
  kind: 'event',
  message: 'fallen off the bus',
  evidence: 'NVRM: Xid 79',
};

describe('HealthState', () => {
  it('opens a condition once and does not re-send it while it persists unchanged', () => {
    const h = new HealthState(opts);
    expect(h.applyRun('rdma', [portDown], 1000).map((c) => c.change)).toEqual(['opened']);
    expect(h.applyRun('rdma', [portDown], 2000)).toEqual([]);
    const [f] = h.findings();
    expect(f).toMatchObject({ firstSeen: 1000, lastSeen: 2000, count: 2 });
    expect(h.health()).toBe('degraded');
  });

  it('clears a condition only after it is absent for clearAfterRuns runs (hysteresis)', () => {
    const h = new HealthState(opts);
    h.applyRun('rdma', [portDown], 1000);
    expect(h.applyRun('rdma', [], 2000)).toEqual([]);
    expect(h.findings()).toHaveLength(1);
    // seen again: the miss count restarts
    h.applyRun('rdma', [portDown], 3000);
    expect(h.applyRun('rdma', [], 4000)).toEqual([]);
    const cleared = h.applyRun('rdma', [], 5000);
    expect(cleared.map((c) => [c.change, c.finding.code])).toEqual([['cleared', 'ib.port.down']]);
    expect(h.health()).toBe('healthy');
  });

  it("does not let one probe's run clear another probe's condition", () => {
    const h = new HealthState(opts);
    h.applyRun('rdma', [portDown], 1000);
    h.applyRun('host', [], 2000);
    h.applyRun('host', [], 3000);
    expect(h.findings().map((f) => f.code)).toEqual(['ib.port.down']);
  });

  it('reports a severity change as an update', () => {
    const h = new HealthState(opts);
    h.applyRun('rdma', [portDown], 1000);
    const ch = h.applyRun('rdma', [{ ...portDown, severity: 'fatal' }], 2000);
    expect(ch).toHaveLength(1);
    expect(ch[0]).toMatchObject({ change: 'updated', finding: { severity: 'fatal', count: 2 } });
  });

  it('counts repeated events and expires them after the TTL since last seen', () => {
    const h = new HealthState(opts);
    h.applyEvents('kernel-log', [xid], 1000);
    const upd = h.applyEvents('kernel-log', [{ ...xid, at: 5000 }], 6000);
    expect(upd[0]).toMatchObject({ change: 'updated', finding: { count: 2, lastSeen: 5000, firstSeen: 1000 } });
    expect(h.expire(5000 + 59_999)).toEqual([]);
    expect(h.expire(5000 + 60_000).map((c) => c.change)).toEqual(['cleared']);
    expect(h.findings()).toEqual([]);
  });

  it('keeps sticky findings through absent runs and restarts on the same boot, drops them on a new boot', () => {
    const h = new HealthState(opts, 'boot-a');
    h.applyRun('gpu', [{ ...portDown, code: 'gpu.rowremap.failure', component: 'gpu:0', sticky: true }], 1000);
    h.applyRun('gpu', [], 2000);
    h.applyRun('gpu', [], 3000);
    expect(h.findings()).toHaveLength(1);
    const snap = JSON.parse(JSON.stringify(h.snapshot()));
    expect(HealthState.restore(snap, opts, 'boot-a').findings()).toHaveLength(1);
    expect(HealthState.restore(snap, opts, 'boot-b').findings()).toHaveLength(0);
  });

  it('returns copies, so later changes do not alter a change already handed out', () => {
    const h = new HealthState(opts);
    const [opened] = h.applyEvents('k', [xid], 1000);
    h.applyEvents('k', [xid], 2000);
    expect(opened?.finding.count).toBe(1);
  });

  it('orders findings worst first', () => {
    const h = new HealthState(opts);
    h.applyRun('a', [{ ...portDown, severity: 'warn', code: 'a.warn' }, xid, portDown], 1);
    expect(h.findings().map((f) => f.severity)).toEqual(['fatal', 'degraded', 'warn']);
    expect(h.health()).toBe('fatal');
  });
});
