/**
 * Operator command handlers on the collector side: nodes, isolate, release, breaker
 * status|reset, approvals, audit. Each returns JSON-able data; the REST routes (routes.ts) and
 * anything else in the collector call these, never the engine's internals.
 */
import type { AuditEntry, AuditKind, AuditQuery } from './audit-store.ts';
import type { IsolationEngine } from './engine.ts';

/** A fleet node as the collector lists it (collector/fleet.ts NodeView, the fields used here). */
export interface FleetNodeSummary {
  id: string;
  state: string;
  health: string;
}

/** `keelson nodes`: each node with fleet state, health and isolation status. */
export function nodesCommand(engine: IsolationEngine, fleet: readonly FleetNodeSummary[] = []) {
  const iso = new Map(engine.nodes().map((n) => [n.node, n]));
  const ids = [...new Set([...fleet.map((f) => f.id), ...iso.keys()])].sort();
  return {
    nodes: ids.map((id) => {
      const f = fleet.find((x) => x.id === id);
      const v = iso.get(id);
      return {
        id,
        state: f?.state ?? 'unknown',
        health: f?.health ?? 'unknown',
        isolation: v?.pending ? 'pending-approval' : (v?.record?.status ?? 'none'),
        ...(v?.record ? { reason: v.record.reason, since: v.record.since } : {}),
        ...(v?.pending ? { approval: v.pending.id, reason: v.pending.reason } : {}),
      };
    }),
  };
}

export async function isolateCommand(engine: IsolationEngine, a: { node: string; reason: string; who: string }) {
  return { entry: await engine.isolate(a.node, a.reason, a.who) };
}

export async function releaseCommand(engine: IsolationEngine, a: { node: string; who: string }) {
  return { entry: await engine.release(a.node, a.who) };
}

export function breakerStatusCommand(engine: IsolationEngine) {
  return { breaker: engine.breakerStatus() };
}

export function breakerResetCommand(engine: IsolationEngine, who: string) {
  return { entry: engine.breakerReset(who), breaker: engine.breakerStatus() };
}

export async function approvalCommand(
  engine: IsolationEngine,
  a: { id: string; decision: 'approve' | 'reject'; who: string },
): Promise<{ entry: AuditEntry }> {
  return { entry: a.decision === 'reject' ? engine.reject(a.id, a.who) : await engine.approve(a.id, a.who) };
}

/** `keelson audit`: newest first, filtered. */
export function auditCommand(engine: IsolationEngine, q: AuditQuery) {
  return { entries: engine.audit(q) };
}

/** Parse audit query parameters (from a URL or CLI flags). */
export function auditQueryFrom(p: {
  node?: string | null;
  kind?: string | null;
  what?: string | null;
  since?: string | null;
  limit?: string | null;
}): AuditQuery {
  const q: AuditQuery = {};
  if (p.node) q.node = p.node;
  if (p.kind) q.kind = p.kind as AuditKind;
  if (p.what) q.what = p.what;
  const since = Number(p.since);
  if (p.since && Number.isFinite(since)) q.since = since;
  const limit = Number(p.limit);
  if (p.limit && Number.isInteger(limit) && limit > 0) q.limit = limit;
  return q;
}
