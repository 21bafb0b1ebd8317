/** Pure decisions the fleet state makes: duplicates, snapshot reconciliation, lost nodes. */
import { type Finding, findingKey, worstSeverity } from '../core/finding.ts';

/** A message is a duplicate when the node's stored sequence already covers it. */
export function isDuplicate(lastSeq: number, seq: number): boolean {
  return seq <= lastSeq;
}

/**
 * A snapshot states the node's whole active set: findings the collector holds that the
 * snapshot lacks are cleared (their clear was lost or came while we were not listening);
 * collector-owned findings (node.lost) are kept.
 */
export function reconcileSnapshot(
  held: readonly Finding[],
  snapshot: readonly Finding[],
  collectorOwned: (f: Finding) => boolean,
): { clear: Finding[]; upsert: Finding[] } {
  const inSnap = new Set(snapshot.map(findingKey));
  return {
    clear: held.filter((f) => !inSnap.has(findingKey(f)) && !collectorOwned(f)),
    upsert: [...snapshot],
  };
}

export interface NodeLiveness {
  id: string;
  state: string;
  lastSeen: number;
  /** Closed cleanly (agent stopped on purpose): not lost. */
  cleanClose: boolean;
}

/** Nodes that have been silent too long and are not yet marked lost. */
export function nodesToMarkLost(nodes: readonly NodeLiveness[], now: number, lostAfterMs: number): string[] {
  return nodes
    .filter((n) => n.state !== 'lost' && n.state !== 'online' && !n.cleanClose && now - n.lastSeen >= lostAfterMs)
    .map((n) => n.id);
}

/** The node's colour: the worst active severity, 'healthy' when nothing above info. */
export function nodeHealthOf(findings: Iterable<Finding>): 'healthy' | 'warn' | 'degraded' | 'fatal' {
  const w = worstSeverity(findings);
  return w === undefined || w === 'info' ? 'healthy' : w;
}
