import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.ts';
import type { Hello, SequencedMessage, WireFinding } from '../protocol/messages.ts';
import { TokenSet } from './auth.ts';
import { Fleet } from './fleet.ts';
import { nodesToMarkLost, reconcileSnapshot } from './reconcile.ts';
import { Store } from './store.ts';

const log = silentLogger();
const hello = (over: Partial<Hello> = {}): Hello => ({
  v: 1,
  ts: 0,
  type: 'hello',
  nodeId: 'gpu01',
  hostname: 'gpu01',
  labels: { rack: 'r1' },
  agentVersion: '0.1.0',
  capabilities: [],
  epoch: 'e1',
  lastAckedSeq: 0,
  ...over,
});
const f = (code: string, over: Partial<WireFinding> = {}): WireFinding => ({
  code,
  component: 'gpu:0',
  severity: 'fatal',
  action: 'drain',
  kind: 'event',
  message: code,
  evidence: '',
  firstSeen: 100,
  lastSeen: 100,
  count: 1,
  ...over,
});
const opened = (seq: number, finding: WireFinding): SequencedMessage => ({
  v: 1,
  ts: 1,
  type: 'findings',
  seq,
  changes: [{ change: 'opened', finding }],
});

describe('Fleet with its store', () => {
  it('applies each sequenced message once and reports duplicates', () => {
    const fleet = new Fleet(new Store(':memory:'), log);
    expect(fleet.earliestFirstSeen()).toBeUndefined();
    expect(fleet.hello(hello(), 1000)).toBe(0);
    fleet.hello(hello({ nodeId: 'gpu02', hostname: 'gpu02' }), 2000);
    expect(fleet.earliestFirstSeen()).toBe(1000);
    expect(fleet.apply('gpu01', opened(1, f('gpu.xid.79')), 1001)).toBe(true);
    expect(fleet.apply('gpu01', opened(1, f('gpu.xid.79')), 1002)).toBe(false);
    expect(fleet.findings({}).length).toBe(1);
    expect(fleet.nodeDetail('gpu01')?.node).toMatchObject({ health: 'fatal', findingCounts: { fatal: 1 } });
  });

  it('applies metrics in memory only: no write, while the stored seq stays that of the last durable message', () => {
    const store = new Store(':memory:');
    const fleet = new Fleet(store, log);
    fleet.hello(hello(), 1000);
    expect(fleet.apply('gpu01', opened(1, f('gpu.xid.79')), 1001)).toBe(true);
    const changesBefore = store.database().prepare('SELECT total_changes() AS n').get() as { n: number };
    const metrics = (seq: number, value: number): SequencedMessage => ({
      v: 1,
      ts: 1,
      type: 'metrics',
      seq,
      probe: { name: 'gpu', status: 'ok', lastRun: 1002, durationMs: 5 },
      samples: [{ name: 'gpu_temperature_celsius', value, labels: { gpu: '0' } }],
    });
    expect(fleet.apply('gpu01', metrics(2, 61), 1002)).toBe(true);
    expect(fleet.apply('gpu01', metrics(2, 99), 1003)).toBe(false);
    expect((store.database().prepare('SELECT total_changes() AS n').get() as { n: number }).n).toBe(changesBefore.n);
    expect(store.nodes()[0]!.lastSeq).toBe(1);
    expect(fleet.nodeDetail('gpu01')?.samples).toEqual([
      { name: 'gpu_temperature_celsius', value: 61, labels: { gpu: '0' } },
    ]);
    // The next durable message stores its own (later) seq.
    expect(fleet.apply('gpu01', opened(3, f('gpu.xid.48')), 1004)).toBe(true);
    expect(store.nodes()[0]!.lastSeq).toBe(3);
  });

  it('remembers the last seq per epoch across a restart, and restarts numbering for a new epoch', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'keelson-store-')), 'k.db');
    const s1 = new Store(path);
    const fleet = new Fleet(s1, log);
    fleet.hello(hello(), 1000);
    fleet.apply('gpu01', opened(7, f('gpu.xid.79')), 1001);
    s1.close();
    const s2 = new Store(path);
    const again = new Fleet(s2, log);
    expect(again.listNodes()[0]).toMatchObject({ id: 'gpu01', state: 'offline', health: 'fatal' });
    expect(again.hello(hello(), 2000)).toBe(7);
    expect(again.hello(hello({ epoch: 'e2' }), 3000)).toBe(0);
    s2.close();
  });

  it('clears findings a snapshot no longer lists, and keeps their history', () => {
    const fleet = new Fleet(new Store(':memory:'), log);
    fleet.hello(hello(), 0);
    fleet.apply('gpu01', opened(1, f('a')), 1);
    fleet.apply('gpu01', opened(2, f('b')), 2);
    fleet.apply('gpu01', { v: 1, ts: 3, type: 'snapshot', seq: 3, health: 'fatal', findings: [f('b')], probes: [] }, 3);
    expect(fleet.nodeDetail('gpu01')?.findings.map((x) => x.code)).toEqual(['b']);
    expect(fleet.findings({ code: 'a' })[0]).toMatchObject({ active: false, clearedAt: 3 });
  });

  it('marks a node lost after silence, clears it on return, and not after a clean stop', () => {
    const fleet = new Fleet(new Store(':memory:'), log);
    fleet.hello(hello(), 0);
    fleet.hello(hello({ nodeId: 'gpu02', hostname: 'gpu02' }), 0);
    fleet.disconnected('gpu01', false, 1000);
    fleet.disconnected('gpu02', true, 1000);
    expect(fleet.tick(10_000, 30_000)).toEqual([]);
    expect(fleet.tick(31_000, 30_000)).toEqual(['gpu01']);
    expect(fleet.nodeDetail('gpu01')?.findings.map((x) => x.code)).toEqual(['node.lost']);
    expect(fleet.listNodes().map((n) => n.state)).toEqual(['lost', 'offline']);
    fleet.hello(hello(), 40_000);
    expect(fleet.nodeDetail('gpu01')?.findings).toEqual([]);
    expect(fleet.nodeDetail('gpu01')?.node.state).toBe('online');
  });
});

describe('pure fleet decisions', () => {
  it('reconcileSnapshot keeps collector-owned findings', () => {
    const r = reconcileSnapshot([f('a'), f('node.lost')], [f('b')], (x) => x.code === 'node.lost');
    expect(r.clear.map((x) => x.code)).toEqual(['a']);
  });
  it('nodesToMarkLost ignores online, already lost and cleanly stopped nodes', () => {
    const n = (id: string, state: string, cleanClose = false) => ({ id, state, lastSeen: 0, cleanClose });
    expect(
      nodesToMarkLost([n('a', 'online'), n('b', 'lost'), n('c', 'offline', true), n('d', 'offline')], 100, 50),
    ).toEqual(['d']);
  });
});

describe('TokenSet', () => {
  it('accepts only a configured bearer token', () => {
    const t = new TokenSet(['s3cret-token-0123456789', 'other-token-0123456789']);
    expect(t.acceptsHeader('Bearer s3cret-token-0123456789')).toBe(true);
    expect(t.acceptsHeader('bearer other-token-0123456789')).toBe(true);
    expect(t.acceptsHeader('Bearer s3cret-token-012345678')).toBe(false);
    expect(t.acceptsHeader('s3cret-token-0123456789')).toBe(false);
    expect(t.acceptsHeader(undefined)).toBe(false);
    expect(new TokenSet([]).acceptsHeader('Bearer x')).toBe(false);
  });
});

describe('version drift across the fleet', () => {
  it('raises driver.version.drift on the odd node out, keeps it through snapshots, and clears it when it upgrades', () => {
    const fleet = new Fleet(new Store(':memory:'), log);
    const snap = (seq: number, driverVersion: string): SequencedMessage => ({
      v: 1,
      ts: seq,
      type: 'snapshot',
      seq,
      health: 'healthy',
      findings: [],
      probes: [],
      facts: { driverVersion },
    });
    for (const id of ['a', 'b', 'c']) fleet.hello(hello({ nodeId: id, hostname: id }), 0);
    fleet.apply('a', snap(1, '535.161.08'), 1);
    fleet.apply('b', snap(1, '535.161.08'), 1);
    fleet.apply('c', snap(1, '550.54.15'), 1);
    fleet.tick(2, 60_000);
    const drift = (id: string) => fleet.nodeDetail(id)?.findings.filter((f) => f.code === 'driver.version.drift') ?? [];
    expect(drift('c')).toHaveLength(1);
    expect(drift('c')[0]?.message).toMatch(/550\.54\.15/);
    expect(drift('a')).toEqual([]);
    // a later snapshot from c (same facts) does not clear the collector's own finding
    fleet.apply('c', snap(2, '550.54.15'), 3);
    fleet.tick(4, 60_000);
    expect(drift('c')).toHaveLength(1);
    fleet.apply('c', snap(3, '535.161.08'), 5);
    fleet.tick(6, 60_000);
    expect(drift('c')).toEqual([]);
    expect(fleet.findings({ node: 'c', code: 'driver.version.drift' })[0]).toMatchObject({ active: false });
  });
});

describe('fleet events', () => {
  it("emits 'finding' for agent and collector changes, and 'node' on liveness", () => {
    const fleet = new Fleet(new Store(':memory:'), log);
    const findings: string[] = [];
    const nodes: string[] = [];
    fleet.on('finding', (e) => findings.push(`${e.node} ${e.change} ${e.finding.code}`));
    fleet.on('node', (e) => nodes.push(`${e.node} ${e.state}`));
    fleet.hello(hello(), 0);
    fleet.apply('gpu01', opened(1, f('gpu.xid.79')), 1);
    fleet.apply('gpu01', opened(1, f('gpu.xid.79')), 2); // duplicate: no event
    fleet.disconnected('gpu01', false, 3);
    fleet.tick(40_000, 30_000);
    fleet.hello(hello(), 50_000);
    expect(findings).toEqual(['gpu01 opened gpu.xid.79', 'gpu01 opened node.lost', 'gpu01 cleared node.lost']);
    expect(nodes).toEqual(['gpu01 online', 'gpu01 offline', 'gpu01 lost', 'gpu01 online']);
  });
});
