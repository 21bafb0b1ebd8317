/**
 * The isolation engine against a real Slurm (slurmctld + ten slurmd on loopback) and a real
 * Alertmanager: drains with Keelson's reason, leaves an operator's drain alone, resumes on
 * release, respects an operator's return, and caps a storm with the breaker.
 */
import Database from 'better-sqlite3';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SlurmActuator } from '../../../collector/actuators/slurm.ts';
import { AlertTracker } from '../../../collector/alerting/alert-tracker.ts';
import { AlertmanagerClient } from '../../../collector/alerting/alertmanager.ts';
import { AuditLog } from '../../../collector/isolation/audit-store.ts';
import { DEFAULT_BREAKER } from '../../../collector/isolation/breaker.ts';
import { defaultPolicy } from '../../../collector/isolation/default-policy.ts';
import { IsolationEngine, type IsolationEngineOptions } from '../../../collector/isolation/engine.ts';
import { DEFAULT_JOB_FLOW } from '../../../collector/isolation/job-flow.ts';
import { registerIsolationMetrics } from '../../../collector/isolation/metrics.ts';
import { systemClock } from '../../../core/clock.ts';
import type { Finding } from '../../../core/finding.ts';
import { silentLogger } from '../../../core/logger.ts';
import { type AlertmanagerHandle, alertmanagerAvailable, startAlertmanager } from '../../helpers/alertmanager.ts';
import { waitFor } from '../../helpers/processes.ts';
import { type SlurmCluster, slurmAvailable, startSlurmCluster } from '../../helpers/slurm-cluster.ts';

const FAST_RETRY = { attempts: 3, initialMs: 50, maxMs: 200 };

function xid79(firstSeen: number): Finding {
  return {
    code: 'gpu.xid.79',
    component: 'gpu:3',
    severity: 'fatal',
    action: 'reboot',
    kind: 'event',
    message: 'GPU has fallen off the bus',
    evidence: 'NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, GPU has fallen off the bus.',
    firstSeen,
    lastSeen: firstSeen,
    count: 1,
  };
}

describe.skipIf(!slurmAvailable() || !alertmanagerAvailable())('isolation with real Slurm', () => {
  let slurm: SlurmCluster;
  let am: AlertmanagerHandle;
  const dbs: Database.Database[] = [];

  beforeAll(async () => {
    [slurm, am] = await Promise.all([startSlurmCluster({ count: 10 }), startAlertmanager()]);
  }, 60_000);
  afterAll(async () => {
    for (const d of dbs) d.close();
    await Promise.all([slurm?.stop(), am?.stop()]);
  });

  function makeEngine(over: Partial<IsolationEngineOptions> = {}) {
    const db = new Database(':memory:');
    dbs.push(db);
    const actuator = new SlurmActuator({
      env: slurm.env,
      retry: FAST_RETRY,
      resumeWaitMs: 15_000,
      log: silentLogger(),
    });
    const registry = new Registry();
    let e: IsolationEngine | undefined;
    const metrics = registerIsolationMetrics(registry, () => {
      const s = e!.breakerStatus();
      return { breaker: s, pendingApprovals: s.pending.length, isolatedNodes: 0 };
    });
    e = new IsolationEngine({
      policy: defaultPolicy(),
      mode: 'enforce',
      breaker: { ...DEFAULT_BREAKER, maxNodes: 100, maxFraction: 1 },
      jobFlow: DEFAULT_JOB_FLOW,
      actuators: [actuator],
      audit: new AuditLog(db),
      metrics,
      log: silentLogger(),
      fleetSize: () => slurm.nodes.length,
      ...over,
    });
    return { engine: e, actuator, registry };
  }

  // Every test starts from an all-idle cluster.
  afterEach(async () => {
    const states = await slurm.states();
    for (const n of slurm.nodes) {
      if (/drain|down/.test(states.get(n)?.state ?? ''))
        await slurm.run('scontrol', ['update', `NodeName=${n}`, 'State=RESUME']);
    }
    await slurm.waitAll('idle');
  });

  /** The state without sinfo's flag suffixes (`*` not responding, …). */
  const plain = (s: string | undefined) => (s ?? '').replace(/[*~#!%$@^-]+$/, '');

  it('drains the node with Keelson’s reason, visible in sinfo -R, within 2 s of the finding', async () => {
    const { engine } = makeEngine();
    const t0 = systemClock.now();
    await engine.onFindingChange('gpu02', { change: 'opened', finding: xid79(t0) }, t0);
    const elapsed = systemClock.now() - t0;
    const listing = await slurm.run('sinfo', ['-R', '-h', '-o', '%N|%E']);
    expect(listing).toContain('gpu02|keelson: gpu.xid.79 gpu:3 GPU has fallen off the bus');
    expect(plain((await slurm.states()).get('gpu02')?.state)).toBe('drained');
    expect(elapsed).toBeLessThan(2_000);
    // Release resumes it; the node comes back plain idle.
    expect((await engine.release('gpu02', 'operator:alice')).result).toBe('done');
    await waitFor(async () => (await slurm.states()).get('gpu02')?.state === 'idle', 15_000, 'gpu02 idle');
    expect((await slurm.states()).get('gpu02')?.reason).toBe('none');
  });

  it('an operator’s drain keeps the operator’s reason', async () => {
    await slurm.run('scontrol', ['update', 'NodeName=gpu03', 'State=DRAIN', 'Reason=ops: swapping PSU (INC-42)']);
    const { engine } = makeEngine();
    const t0 = systemClock.now();
    await engine.onFindingChange('gpu03', { change: 'opened', finding: xid79(t0) }, t0);
    await expect(engine.release('gpu03', 'operator:alice')).rejects.toThrow(/not-ours/);
    const s = (await slurm.states()).get('gpu03');
    expect(plain(s?.state)).toBe('drained');
    expect(s?.reason).toBe('ops: swapping PSU (INC-42)');
    expect(engine.audit({ node: 'gpu03', what: 'isolate' })[0]?.result).toBe('skipped: operator-owned');
  });

  it('a node an operator resumed is not drained again for the same evidence', async () => {
    const { engine } = makeEngine();
    const t0 = systemClock.now();
    await engine.onFindingChange('gpu04', { change: 'opened', finding: xid79(t0) }, t0);
    expect(plain((await slurm.states()).get('gpu04')?.state)).toBe('drained');
    await slurm.run('scontrol', ['update', 'NodeName=gpu04', 'State=RESUME']);
    await engine.tick(systemClock.now());
    expect(engine.nodes().find((n) => n.node === 'gpu04')?.record?.status).toBe('returned');
    const again = { ...xid79(t0), count: 3, lastSeen: systemClock.now() };
    await engine.onFindingChange('gpu04', { change: 'updated', finding: again }, systemClock.now());
    expect((await slurm.states()).get('gpu04')?.state).not.toMatch(/drain/);
    const fresh = xid79(systemClock.now() + 1);
    await engine.onFindingChange('gpu04', { change: 'opened', finding: fresh }, fresh.firstSeen);
    expect(plain((await slurm.states()).get('gpu04')?.state)).toBe('drained');
  });

  it('a storm of fatal findings on 6 of 10 nodes drains only the cap; the rest are alerted; the breaker shows it', async () => {
    const tracker = new AlertTracker({ resendMs: 60_000, minSeverity: 'degraded' });
    const client = new AlertmanagerClient({ url: am.url, retry: FAST_RETRY });
    const { engine, registry } = makeEngine({ breaker: DEFAULT_BREAKER, alerts: { tracker, client } });
    const t0 = systemClock.now();
    const stormNodes = slurm.nodes.slice(4, 10);
    await Promise.all(stormNodes.map((n) => engine.onFindingChange(n, { change: 'opened', finding: xid79(t0) }, t0)));
    await engine.idle();
    const states = await slurm.states();
    const drained = slurm.nodes.filter((n) => /drain/.test(states.get(n)?.state ?? ''));
    expect(drained).toHaveLength(1); // ≤10% of 10 nodes
    expect(states.get(drained[0]!)?.reason).toMatch(/^keelson: gpu\.xid\.79/);
    const status = engine.breakerStatus();
    expect(status).toMatchObject({ tripped: true, cap: 1, used: 1, fleetSize: 10 });
    expect(status.pending).toHaveLength(5);
    expect(await registry.metrics()).toMatch(/keelson_isolation_breaker_tripped 1/);
    // Alertmanager holds a finding alert for every one of the six nodes, and the breaker alert.
    const alerts = await waitFor(
      async () => {
        const a = await am.alerts();
        const nodes = new Set(a.filter((x) => x.labels.alertname === 'KeelsonFinding').map((x) => x.labels.node));
        return nodes.size === 6 && a.some((x) => x.labels.alertname === 'KeelsonIsolationBreakerTripped')
          ? a
          : undefined;
      },
      10_000,
      'storm alerts in Alertmanager',
    );
    expect(alerts.filter((a) => a.labels.alertname === 'KeelsonIsolationHeld')).toHaveLength(5);
  });
});
