/** Tiles: the worst finding wins, counts, isolation marks, and when two tiles draw the same. */
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../core/finding.ts';
import type { NodeView } from '../fleet.ts';
import { sameTile, tileOf, worstFinding } from './tiles.ts';

const node: NodeView = {
  id: 'n1',
  hostname: 'n1.local',
  labels: { job: 'a' },
  agentVersion: '0.1.0',
  state: 'online',
  health: 'fatal',
  agentHealth: 'fatal',
  firstSeen: 1,
  lastSeen: 2,
  findingCounts: { info: 1, warn: 1, degraded: 0, fatal: 1 },
};
const f = (code: string, severity: Finding['severity'], lastSeen: number): Finding => ({
  code,
  component: 'host',
  severity,
  action: 'none',
  kind: 'condition',
  message: '',
  evidence: '',
  firstSeen: 0,
  lastSeen,
  count: 1,
});

describe('tiles', () => {
  it('names the worst active finding, the newest on a tie', () => {
    expect(worstFinding([f('a', 'warn', 5), f('b', 'fatal', 1), f('c', 'fatal', 3)])?.code).toBe('c');
    expect(worstFinding([])).toBeUndefined();
  });

  it('carries connection, worst severity and code, count at warn or above, and the isolation mark', () => {
    const t = tileOf(node, [f('x', 'info', 1), f('y', 'warn', 1), f('gpu.xid.79', 'fatal', 1)], { status: 'isolated' });
    expect(t).toEqual({
      id: 'n1',
      host: 'n1.local',
      conn: 'online',
      sev: 'fatal',
      top: 'gpu.xid.79',
      n: 2,
      labels: { job: 'a' },
      iso: 'isolated',
      lastSeen: 2,
    });
    const healthy = tileOf({ ...node, state: 'lost' }, []);
    expect(healthy.sev).toBeNull();
    expect(healthy.top).toBeUndefined();
    expect(healthy.iso).toBeUndefined();
    expect(healthy.conn).toBe('lost');
  });

  it('treats tiles that differ only in lastSeen as the same, and any drawn field as different', () => {
    const t = tileOf(node, [f('y', 'warn', 1)]);
    expect(sameTile(t, { ...t, lastSeen: 99 })).toBe(true);
    expect(sameTile(t, { ...t, sev: 'fatal' })).toBe(false);
    expect(sameTile(t, { ...t, conn: 'lost' })).toBe(false);
    expect(sameTile(t, { ...t, top: 'z' })).toBe(false);
    expect(sameTile(t, { ...t, iso: 'isolated' })).toBe(false);
    expect(sameTile(t, { ...t, labels: { job: 'b' } })).toBe(false);
    expect(sameTile(t, { ...t, labels: { job: 'a', rack: 'r' } })).toBe(false);
  });
});
