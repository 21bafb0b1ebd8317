import { describe, expect, it } from 'vitest';
import { compareVersions, detectVersionDrift } from './version-drift.ts';

const node = (name: string, facts: Record<string, string>) => ({ node: name, facts });

describe('detectVersionDrift', () => {
  it('says nothing when every node runs the same versions', () => {
    const facts = { driverVersion: '535.161.08', ncclVersion: '2.21.5' };
    expect(detectVersionDrift([node('a', facts), node('b', facts), node('c', facts)])).toEqual([]);
  });

  it('flags the minority node against the most common version', () => {
    const out = detectVersionDrift([
      node('gpu-001', { driverVersion: '535.161.08' }),
      node('gpu-002', { driverVersion: '535.161.08' }),
      node('gpu-003', { driverVersion: '535.183.01' }),
    ]);
    expect(out).toHaveLength(1);
    const [o] = out;
    expect([o?.node, o?.code, o?.component, o?.severity, o?.action]).toEqual([
      'gpu-003',
      'driver.version.drift',
      'driver',
      'warn',
      'none',
    ]);
    expect(o?.message).toContain('NVIDIA driver 535.183.01');
    expect(o?.message).toContain('535.161.08 on 2 of 3 nodes');
    expect(o?.evidence).toBe('driverVersion=535.183.01 [535.161.08x2 535.183.01x1]');
  });

  it('gives one observation per node naming every drifting key', () => {
    const out = detectVersionDrift([
      node('a', { driverVersion: '550.90.07', ofedVersion: '23.10-1.1.9.0', ncclVersion: '2.21.5' }),
      node('b', { driverVersion: '550.90.07', ofedVersion: '23.10-1.1.9.0', ncclVersion: '2.21.5' }),
      node('c', { driverVersion: '550.54.15', ofedVersion: '23.07-0.5.0.0', ncclVersion: '2.21.5' }),
    ]);
    expect(out.map((o) => o.node)).toEqual(['c']);
    expect(out[0]?.message).toContain('NVIDIA driver 550.54.15');
    expect(out[0]?.message).toContain('OFED 23.07-0.5.0.0');
    expect(out[0]?.message).not.toContain('NCCL');
  });

  it('breaks a tie toward the newest version and ignores nodes without the fact', () => {
    const out = detectVersionDrift([
      node('old', { cudaVersion: '12.2' }),
      node('new', { cudaVersion: '12.4' }),
      node('blank', {}),
    ]);
    expect(out.map((o) => o.node)).toEqual(['old']);
  });

  it('compares only the keys it is given', () => {
    const nodes = [node('a', { driverVersion: '1.0', custom: 'x' }), node('b', { driverVersion: '2.0', custom: 'x' })];
    expect(detectVersionDrift(nodes, { custom: 'Custom' })).toEqual([]);
  });
});

describe('compareVersions', () => {
  it('orders dotted numeric versions numerically', () => {
    expect(compareVersions('535.161.08', '535.54.03')).toBeGreaterThan(0);
    expect(compareVersions('12.2', '12.10')).toBeLessThan(0);
    expect(compareVersions('2.21.5', '2.21.5')).toBe(0);
    expect(compareVersions('23.10-1.1.9.0', '23.10-0.5.5.0')).toBeGreaterThan(0);
  });
});
