import Database from 'better-sqlite3';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { isKeelsonError } from '../../core/errors.ts';
import type { Finding } from '../../core/finding.ts';
import { silentLogger } from '../../core/logger.ts';
import { MemoryActuator } from '../actuators/memory.ts';
import type { IsolationEvent } from '../actuators/types.ts';
import { AlertTracker, type AmAlert } from '../alerting/alert-tracker.ts';
import type { AlertmanagerClient } from '../alerting/alertmanager.ts';
import { AuditLog } from './audit-store.ts';
import { DEFAULT_BREAKER } from './breaker.ts';
import { defaultPolicy } from './default-policy.ts';
import { IsolationEngine, type IsolationEngineOptions } from './engine.ts';
import { DEFAULT_JOB_FLOW, type RescheduleRequest, type RestartRequest } from './job-flow.ts';
import { registerIsolationMetrics } from './metrics.ts';
import { IsolationStateStore } from './state-store.ts';

const T0 = 1_700_000_000_000;
const NODES = Array.from({ length: 10 }, (_, i) => `gpu${String(i + 1).padStart(2, '0')}`);

function xid79(over: Partial<Finding> = {}): Finding {
  return {
    code: 'gpu.xid.79',
    component: 'gpu:3',
    severity: 'fatal',
    action: 'reboot',
    kind: 'event',
    message: 'GPU has fallen off the bus',
    evidence: 'NVRM: Xid (PCI:0000:3b:00): 79, pid=1, GPU has fallen off the bus.',
    firstSeen: T0,
    lastSeen: T0,
    count: 1,
    ...over,
  };
}

const dbs: Database.Database[] = [];
afterEach(() => {
  for (const d of dbs.splice(0)) d.close();
});

function setup(over: Partial<IsolationEngineOptions> = {}, db = new Database(':memory:')) {
  dbs.push(db);
  const clock = new ManualClock(T0);
  const actuator = new MemoryActuator(NODES);
  const events: IsolationEvent[] = [];
  const posted: AmAlert[][] = [];
  const client = { post: async (a: readonly AmAlert[]) => void posted.push([...a]) } as unknown as AlertmanagerClient;
  const registry = new Registry();
  let engine: IsolationEngine | undefined;
  const metrics = registerIsolationMetrics(registry, () => {
    const s = engine!.breakerStatus();
    return { breaker: s, pendingApprovals: s.pending.length, isolatedNodes: 0 };
  });
  engine = new IsolationEngine({
    policy: defaultPolicy(),
    mode: 'enforce',
    breaker: DEFAULT_BREAKER,
    jobFlow: DEFAULT_JOB_FLOW,
    actuators: [actuator],
    notifiers: [{ name: 'rec', notify: async (e) => void events.push(e) }],
    alerts: { tracker: new AlertTracker({ resendMs: 60_000, minSeverity: 'degraded' }), client },
    audit: new AuditLog(db),
    state: new IsolationStateStore(db),
    metrics,
    log: silentLogger(),
    clock,
    ...over,
  });
  for (const n of NODES) void engine.onNodeState(n, { liveness: 'online' }, T0);
  return { engine, actuator, clock, events, posted, registry, db };
}

describe('IsolationEngine', () => {
  it('drains a node for a fatal finding with an owner-tagged reason, audits decision and action', async () => {
    const { engine, actuator, registry } = setup();
    await engine.onFindingChange('gpu02', { change: 'opened', finding: xid79() }, T0);
    expect(actuator.nodes.get('gpu02')).toEqual({
      isolated: true,
      reason: 'keelson: gpu.xid.79 gpu:3 GPU has fallen off the bus',
    });
    const audit = engine.audit({ node: 'gpu02' });
    expect(audit.map((a) => `${a.kind}:${a.what}:${a.result}`).reverse()).toEqual([
      'decision:isolate,reboot:decided',
      'action:recommend-reboot:recommended',
      'action:isolate:done',
    ]);
    expect(audit[0]!.evidence).toContain('Xid (PCI:0000:3b:00): 79');
    const text = await registry.metrics();
    expect(text).toMatch(/keelson_isolation_time_to_isolate_seconds_count\{actuator="memory"\} 1/);
    expect(text).toMatch(/keelson_isolations_total\{trigger="policy",result="done"\} 1/);
  });

  it('never touches a node someone else drained, and keeps their reason', async () => {
    const { engine, actuator } = setup();
    actuator.operatorDrain('gpu03', 'bob: swapping PSU');
    await engine.onFindingChange('gpu03', { change: 'opened', finding: xid79() }, T0);
    expect(actuator.nodes.get('gpu03')).toEqual({ isolated: true, reason: 'bob: swapping PSU' });
    expect(actuator.calls).toEqual([]);
    expect(engine.audit({ node: 'gpu03', what: 'isolate' })[0]!.result).toBe('skipped: operator-owned');
    await expect(engine.release('gpu03', 'operator:alice')).rejects.toSatisfy((e) =>
      isKeelsonError(e, 'ISOLATION_REFUSED'),
    );
    expect(actuator.nodes.get('gpu03')?.reason).toBe('bob: swapping PSU');
  });

  it('does not re-isolate a node an operator returned without new evidence', async () => {
    const { engine, actuator, clock } = setup();
    await engine.onFindingChange('gpu04', { change: 'opened', finding: xid79() }, T0);
    actuator.operatorResume('gpu04');
    clock.set(T0 + 60_000);
    await engine.tick(T0 + 60_000);
    expect(engine.nodes().find((n) => n.node === 'gpu04')?.record).toMatchObject({
      status: 'returned',
      returnedAt: T0 + 60_000,
    });
    // The same finding repeats (old evidence): left alone.
    await engine.onFindingChange(
      'gpu04',
      { change: 'updated', finding: xid79({ count: 2, lastSeen: T0 + 61_000 }) },
      T0 + 61_000,
    );
    expect(actuator.nodes.get('gpu04')?.isolated).toBe(false);
    expect(engine.audit({ node: 'gpu04', what: 'isolate' })[0]!.result).toBe('skipped: returned-no-new-evidence');
    // A finding first seen after the return isolates again.
    clock.set(T0 + 2 * 3_600_000);
    const fresh = xid79({ firstSeen: T0 + 2 * 3_600_000, lastSeen: T0 + 2 * 3_600_000 });
    await engine.onFindingChange('gpu04', { change: 'opened', finding: fresh }, T0 + 2 * 3_600_000);
    expect(actuator.nodes.get('gpu04')?.isolated).toBe(true);
  });

  it('a storm of fatal findings on 6 of 10 nodes drains no more than the cap; the rest wait and alert', async () => {
    const { engine, actuator, posted, registry } = setup();
    await Promise.all(
      NODES.slice(0, 6).map((n, i) =>
        engine.onFindingChange(n, { change: 'opened', finding: xid79({ firstSeen: T0 + i }) }, T0 + i),
      ),
    );
    await engine.idle();
    const drained = [...actuator.nodes].filter(([, v]) => v.isolated).map(([k]) => k);
    expect(drained).toHaveLength(1); // 10% of 10 nodes
    const st = engine.breakerStatus();
    expect(st).toMatchObject({ tripped: true, used: 1, cap: 1, fleetSize: 10 });
    expect(st.pending.map((p) => p.node).sort()).toEqual(
      NODES.slice(0, 6)
        .filter((n) => !drained.includes(n))
        .sort(),
    );
    const alerted = new Set(
      posted
        .flat()
        .filter((a) => a.labels.alertname === 'KeelsonFinding')
        .map((a) => a.labels.node),
    );
    expect(alerted.size).toBe(6);
    expect(posted.flat().some((a) => a.labels.alertname === 'KeelsonIsolationBreakerTripped')).toBe(true);
    expect(await registry.metrics()).toMatch(
      /keelson_isolation_breaker_tripped 1\n[\s\S]*keelson_isolation_pending_approvals 5/,
    );
    // An operator approves one: it is drained despite the tripped breaker.
    const first = st.pending[0]!;
    const entry = await engine.approve(first.id, 'operator:alice');
    expect(entry.result).toBe('done');
    expect(actuator.nodes.get(first.node)?.isolated).toBe(true);
    expect(engine.breakerStatus().pending).toHaveLength(4);
    engine.breakerReset('operator:alice');
    expect(engine.breakerStatus().tripped).toBe(false);
    expect(engine.audit({ kind: 'breaker' }).map((a) => a.what)).toEqual(['breaker-reset', 'breaker-trip']);
  });

  it('dry-run decides and audits but never actuates', async () => {
    const { engine, actuator } = setup({ mode: 'dry-run' });
    await engine.onFindingChange('gpu01', { change: 'opened', finding: xid79() }, T0);
    expect(actuator.calls).toEqual([]);
    expect(engine.audit({ what: 'isolate' })[0]!.result).toBe('dry-run');
  });

  it('approve-first holds every isolation for an operator', async () => {
    const { engine, actuator, events } = setup({ mode: 'approve-first' });
    await engine.onFindingChange('gpu01', { change: 'opened', finding: xid79() }, T0);
    expect(actuator.calls).toEqual([]);
    const [p] = engine.breakerStatus().pending;
    expect(p).toMatchObject({
      node: 'gpu01',
      cause: 'approve-first',
      reason: 'keelson: gpu.xid.79 gpu:3 GPU has fallen off the bus',
    });
    expect(events.map((e) => e.type)).toContain('pending-approval');
    await engine.approve(p!.id, 'operator:alice');
    expect(actuator.nodes.get('gpu01')?.isolated).toBe(true);
    await expect(engine.approve(p!.id, 'operator:alice')).rejects.toSatisfy((e) => isKeelsonError(e, 'NOT_FOUND'));
  });

  it('releases only what it isolated; auto-release is opt-in', async () => {
    const off = setup();
    await off.engine.onFindingChange('gpu01', { change: 'opened', finding: xid79() }, T0);
    await off.engine.onFindingChange('gpu01', { change: 'cleared', finding: xid79() }, T0 + 1000);
    off.clock.set(T0 + 10 * 3_600_000);
    await off.engine.tick(T0 + 10 * 3_600_000);
    expect(off.actuator.nodes.get('gpu01')?.isolated).toBe(true);
    expect((await off.engine.release('gpu01', 'operator:alice')).result).toBe('done');
    expect(off.actuator.nodes.get('gpu01')).toEqual({ isolated: false });
    await expect(off.engine.release('gpu01', 'operator:alice')).rejects.toSatisfy((e) =>
      isKeelsonError(e, 'ISOLATION_REFUSED'),
    );

    const on = setup({ autoReleaseAfterMs: 3_600_000 });
    await on.engine.onFindingChange('gpu01', { change: 'opened', finding: xid79() }, T0);
    await on.engine.onFindingChange('gpu01', { change: 'cleared', finding: xid79() }, T0 + 1000);
    on.clock.set(T0 + 1000 + 3_599_000);
    await on.engine.tick(T0 + 1000 + 3_599_000);
    expect(on.actuator.nodes.get('gpu01')?.isolated).toBe(true);
    on.clock.set(T0 + 1000 + 3_600_000);
    await on.engine.tick(T0 + 1000 + 3_600_000);
    expect(on.actuator.nodes.get('gpu01')?.isolated).toBe(false);
    expect(on.engine.audit({ what: 'release' })[0]).toMatchObject({ who: 'auto-release', result: 'done' });
  });

  it('job flow: restarts ranks locally N times, then isolates and reschedules from the checkpoint step', async () => {
    const restarts: RestartRequest[] = [];
    const reschedules: RescheduleRequest[] = [];
    const { engine, actuator } = setup({
      restartHook: {
        restartLocal: async (r) => void restarts.push(r),
        rescheduleJob: async (r) => void reschedules.push(r),
      },
      latestCheckpointStep: (job) => (job === 'llama' ? 12_000 : undefined),
    });
    const hang = (i: number): Finding => ({
      code: 'train.hang',
      component: 'job:llama',
      severity: 'fatal',
      action: 'restart-job',
      kind: 'condition',
      message: 'no step for 300 s',
      evidence: 'last step 11990',
      firstSeen: T0 + i * 60_000,
      lastSeen: T0 + i * 60_000,
      count: 1,
    });
    for (let i = 0; i < 3; i++) {
      await engine.onFindingChange('gpu05', { change: 'opened', finding: hang(i) }, T0 + i * 60_000);
      await engine.onFindingChange('gpu05', { change: 'cleared', finding: hang(i) }, T0 + i * 60_000 + 1);
    }
    expect(restarts.map((r) => r.attempt)).toEqual([1, 2]);
    expect(actuator.nodes.get('gpu05')).toMatchObject({ isolated: true });
    expect(actuator.nodes.get('gpu05')?.reason).toMatch(/^keelson: train\.hang job:llama job llama failed 3x here/);
    expect(reschedules).toEqual([expect.objectContaining({ job: 'llama', node: 'gpu05', checkpointStep: 12_000 })]);
    expect(engine.audit({ what: 'reschedule-job' })[0]!.detail).toMatchObject({ checkpointStep: 12_000 });
  });

  it('a hang re-reported every tick is one fault: one local restart, no isolation', async () => {
    const restarts: RestartRequest[] = [];
    const { engine, actuator } = setup({
      restartHook: { restartLocal: async (r) => void restarts.push(r), rescheduleJob: async () => {} },
    });
    const hang: Finding = {
      code: 'train.hang',
      component: 'job:llama',
      severity: 'degraded',
      action: 'restart-job',
      kind: 'condition',
      message: 'no progress for 6.5 s',
      evidence: 'last step 120',
      firstSeen: T0,
      lastSeen: T0,
      count: 1,
    };
    await engine.onFindingChange('gpu05', { change: 'opened', finding: hang }, T0);
    for (let i = 1; i <= 5; i++) {
      const again = { ...hang, message: `no progress for ${6.5 + i} s`, lastSeen: T0 + i * 1000, count: 1 + i };
      await engine.onFindingChange('gpu05', { change: 'updated', finding: again }, T0 + i * 1000);
    }
    expect(restarts.map((r) => r.attempt)).toEqual([1]);
    expect(actuator.nodes.get('gpu05')).toMatchObject({ isolated: false });
  });

  it('alerts on open, re-sends while active, resolves with endsAt when the finding clears', async () => {
    const { engine, posted } = setup();
    const warn = xid79({ code: 'gpu.ecc.dbe', severity: 'degraded', action: 'reset-gpu' });
    await engine.onFindingChange('gpu06', { change: 'opened', finding: warn }, T0);
    await engine.idle();
    expect(posted.flat()).toHaveLength(1);
    expect(posted[0]![0]!.labels).toMatchObject({ node: 'gpu06', code: 'gpu.ecc.dbe', severity: 'degraded' });
    await engine.tick(T0 + 30_000);
    expect(posted.flat()).toHaveLength(1);
    await engine.tick(T0 + 61_000);
    expect(posted.flat()).toHaveLength(2);
    await engine.onFindingChange('gpu06', { change: 'cleared', finding: warn }, T0 + 70_000);
    await engine.idle();
    const last = posted.at(-1)![0]!;
    expect(last.endsAt).toBe(new Date(T0 + 70_000).toISOString());
  });

  it('remembers the ladder across a collector restart', async () => {
    const db = new Database(':memory:');
    const a = setup({}, db);
    const H = 3_600_000;
    for (let i = 0; i < 2; i++) {
      const f = xid79({ firstSeen: T0 + i * H });
      await a.engine.onFindingChange('gpu07', { change: 'opened', finding: f }, T0 + i * H);
      await a.engine.onFindingChange('gpu07', { change: 'cleared', finding: f }, T0 + i * H + 1);
    }
    const b = setup({}, db);
    await b.engine.onFindingChange(
      'gpu07',
      { change: 'opened', finding: xid79({ firstSeen: T0 + 3 * H }) },
      T0 + 3 * H,
    );
    expect(b.engine.audit({ node: 'gpu07', kind: 'decision' })[0]!.what).toBe('isolate,inspect-hardware');
  });

  it('keeps the audit append-only', () => {
    const { engine, db } = setup();
    engine.breakerReset('operator:alice');
    expect(() => db.prepare('UPDATE isolation_audit SET result = ?').run('x')).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM isolation_audit').run()).toThrow(/append-only/);
  });
});
