/** Read-only views of the isolation engine for the dashboard: the page's summary and a node's mark. */
import type { AmAlert } from '../alerting/alert-tracker.ts';
import type { IsolationEngine } from './engine.ts';

/** `GET /api/isolation`: mode, breaker, isolated nodes, pending approvals and the newest audit entries. */
export function isolationSummary(engine: IsolationEngine) {
  const status = engine.breakerStatus();
  const { pending, mode, ...breaker } = status;
  const nodes = engine.nodes();
  return {
    mode,
    breaker,
    isolated: nodes.flatMap((n) => (n.record?.status === 'isolated' ? [n.record] : [])),
    pending,
    audit: engine.audit({ limit: 200 }),
  };
}

/** How a node's tile shows its isolation: isolated, waiting for approval, or nothing. */
export function isolationMark(engine: IsolationEngine, node: string) {
  const v = engine.nodes().find((n) => n.node === node);
  if (v?.record?.status === 'isolated') {
    return { status: 'isolated' as const, since: v.record.since, reason: v.record.reason };
  }
  if (v?.pending) return { status: 'pending-approval' as const, since: v.pending.createdAt, reason: v.pending.reason };
  return undefined;
}

/** `GET /api/alerts`: what is firing now, as Alertmanager receives it, plus its state. */
export function firingAlerts(alerts: readonly AmAlert[]) {
  return { alerts: alerts.map((a) => ({ ...a, state: 'firing' as const })) };
}
