/**
 * What the fleet grid needs to know about one node, in a compact form sent to browsers: its
 * connection state, its worst active finding, and whether the isolation engine holds it. Pure.
 */
import { type Finding, type Severity, severityRank } from '../../core/finding.ts';
import type { NodeView } from '../fleet.ts';

/** What the isolation engine says about a node, when it says anything. */
export interface IsolationMark {
  status: 'isolated' | 'pending-approval';
  since?: number;
  reason?: string;
}

/** One node tile as the browser receives it over /ws/ui. */
export interface Tile {
  id: string;
  host: string;
  /** Connection: online, offline (closed or not yet lost) or lost. */
  conn: NodeView['state'];
  /** Worst active severity, info included; null when none. */
  sev: Severity | null;
  /** Code of the worst active finding (newest on a tie). */
  top?: string;
  /** Active findings at warn or above. */
  n: number;
  labels: Record<string, string>;
  iso?: IsolationMark['status'];
  lastSeen: number;
}

/** The worst active finding: highest severity, then most recently seen. */
export function worstFinding(findings: Iterable<Finding>): Finding | undefined {
  let worst: Finding | undefined;
  for (const f of findings) {
    if (
      !worst ||
      severityRank(f.severity) > severityRank(worst.severity) ||
      (f.severity === worst.severity && f.lastSeen > worst.lastSeen)
    )
      worst = f;
  }
  return worst;
}

/** Build a node's tile from the fleet's view of it. */
export function tileOf(node: NodeView, findings: readonly Finding[], mark?: IsolationMark): Tile {
  const worst = worstFinding(findings);
  return {
    id: node.id,
    host: node.hostname,
    conn: node.state,
    sev: worst?.severity ?? null,
    ...(worst ? { top: worst.code } : {}),
    n: findings.filter((f) => severityRank(f.severity) >= severityRank('warn')).length,
    labels: node.labels,
    ...(mark ? { iso: mark.status } : {}),
    lastSeen: node.lastSeen,
  };
}

/** Whether two tiles would draw the same (lastSeen alone does not redraw a tile). */
export function sameTile(a: Tile, b: Tile): boolean {
  if (a.conn !== b.conn || a.sev !== b.sev || a.top !== b.top || a.n !== b.n || a.iso !== b.iso || a.host !== b.host)
    return false;
  const ak = Object.keys(a.labels);
  if (ak.length !== Object.keys(b.labels).length) return false;
  return ak.every((k) => a.labels[k] === b.labels[k]);
}
