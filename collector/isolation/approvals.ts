/**
 * Pending approvals: isolations waiting for an operator, because the breaker tripped or the
 * engine runs approve-first. One per node; pure functions over the list.
 */
import { randomUUID } from 'node:crypto';

export interface PendingApproval {
  id: string;
  node: string;
  reason: string;
  code: string;
  component: string;
  evidence: string;
  evidenceFirstSeen: number;
  cause: 'breaker' | 'approve-first';
  createdAt: number;
}

/** Add an approval unless the node already has one; returns the list and the node's approval. */
export function addApproval(
  list: readonly PendingApproval[],
  a: Omit<PendingApproval, 'id'>,
  id: string = randomUUID(),
): { list: PendingApproval[]; approval: PendingApproval; added: boolean } {
  const existing = list.find((p) => p.node === a.node);
  if (existing) return { list: [...list], approval: existing, added: false };
  const approval = { id, ...a };
  return { list: [...list, approval], approval, added: true };
}

/** Remove an approval by id (or every approval of a node). */
export function removeApproval(
  list: readonly PendingApproval[],
  by: { id?: string; node?: string },
): PendingApproval[] {
  return list.filter((p) => p.id !== by.id && p.node !== by.node);
}
