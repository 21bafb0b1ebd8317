/**
 * A real Alertmanager receives Keelson's alert (labels node, code, severity, job) and then its
 * resolution when the finding clears.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryActuator } from '../../../collector/actuators/memory.ts';
import { AlertTracker } from '../../../collector/alerting/alert-tracker.ts';
import { AlertmanagerClient } from '../../../collector/alerting/alertmanager.ts';
import { AuditLog } from '../../../collector/isolation/audit-store.ts';
import { DEFAULT_BREAKER } from '../../../collector/isolation/breaker.ts';
import { defaultPolicy } from '../../../collector/isolation/default-policy.ts';
import { IsolationEngine } from '../../../collector/isolation/engine.ts';
import { DEFAULT_JOB_FLOW } from '../../../collector/isolation/job-flow.ts';
import { systemClock } from '../../../core/clock.ts';
import type { Finding } from '../../../core/finding.ts';
import { silentLogger } from '../../../core/logger.ts';
import { type AlertmanagerHandle, alertmanagerAvailable, startAlertmanager } from '../../helpers/alertmanager.ts';
import { waitFor } from '../../helpers/processes.ts';

describe.skipIf(!alertmanagerAvailable())('alerts to a real Alertmanager', () => {
  let am: AlertmanagerHandle;
  const db = new Database(':memory:');
  beforeAll(async () => {
    am = await startAlertmanager();
  }, 30_000);
  afterAll(async () => {
    db.close();
    await am?.stop();
  });

  it('receives the alert, then its resolution', async () => {
    const engine = new IsolationEngine({
      policy: defaultPolicy(),
      mode: 'enforce',
      breaker: DEFAULT_BREAKER,
      jobFlow: DEFAULT_JOB_FLOW,
      actuators: [new MemoryActuator(['gpu01'])],
      alerts: {
        tracker: new AlertTracker({ resendMs: 60_000, minSeverity: 'degraded' }),
        client: new AlertmanagerClient({ url: am.url }),
      },
      jobOfNode: () => 'llama-70b',
      audit: new AuditLog(db),
      log: silentLogger(),
    });
    const now = systemClock.now();
    const f: Finding = {
      code: 'gpu.ecc.dbe',
      component: 'gpu:5',
      severity: 'degraded',
      action: 'reset-gpu',
      kind: 'condition',
      message: 'uncorrectable ECC errors',
      evidence: 'volatile DBE 2',
      firstSeen: now,
      lastSeen: now,
      count: 1,
    };
    await engine.onFindingChange('gpu01', { change: 'opened', finding: f }, now);
    await engine.idle();
    const held = await waitFor(
      async () => (await am.alerts()).find((a) => a.labels.code === 'gpu.ecc.dbe'),
      5_000,
      'alert',
    );
    expect(held.labels).toMatchObject({
      alertname: 'KeelsonFinding',
      node: 'gpu01',
      code: 'gpu.ecc.dbe',
      severity: 'degraded',
      job: 'llama-70b',
    });
    expect(held.status.state).toBe('active');
    await waitFor(() => am.notifications.some((n) => n.status === 'firing'), 10_000, 'firing notification');

    await engine.onFindingChange('gpu01', { change: 'cleared', finding: f }, systemClock.now());
    await engine.idle();
    // Gone from the active list long before Alertmanager's own 5-minute resolve timeout…
    await waitFor(
      async () => !(await am.alerts()).some((a) => a.labels.code === 'gpu.ecc.dbe'),
      5_000,
      'alert resolved',
    );
    // …and Alertmanager sent the resolved notification for it.
    const resolved = await waitFor(
      () => am.notifications.find((n) => n.status === 'resolved' && n.alerts.some((a) => a.labels.node === 'gpu01')),
      10_000,
      'resolved notification',
    );
    expect(resolved.alerts[0]!.labels.code).toBe('gpu.ecc.dbe');
  });
});
