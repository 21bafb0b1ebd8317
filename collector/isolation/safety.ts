/**
 * Safety rules around the actuators, pure: owner-tagged reasons (`keelson: gpu.xid.79 gpu:3 …`),
 * never touching a node someone else drained or cordoned, not re-isolating a node an operator
 * returned without new evidence, and releasing only what Keelson isolated.
 */

/** Every reason Keelson writes starts with this tag; anything else belongs to someone else. */
export const OWNER_TAG = 'keelson:';
/** Slurm keeps reasons short in listings; Kubernetes annotations are fine either way. */
export const MAX_REASON_CHARS = 200;

/** An owner-tagged reason: tag, code, component, then the detail, on one line. */
export function ownerReason(code: string, component: string, detail: string): string {
  const clean = (s: string) =>
    s
      .replace(/[\r\n\t]+/g, ' ')
      .replace(/[\u0000-\u001f\u007f]/g, '')
      .trim();
  const text = `${OWNER_TAG} ${clean(code)} ${clean(component)}${detail ? ` ${clean(detail)}` : ''}`;
  return text.length <= MAX_REASON_CHARS ? text : `${text.slice(0, MAX_REASON_CHARS - 1)}…`;
}

/** Whether a reason was written by Keelson. */
export function isOwnReason(reason: string | undefined): boolean {
  return (reason ?? '').trimStart().startsWith(OWNER_TAG);
}

/** What an actuator reads about a node in its scheduler. */
export interface ObservedNode {
  /** The scheduler knows the node. */
  exists: boolean;
  /** Drained/draining/down (Slurm) or cordoned (Kubernetes). */
  isolated: boolean;
  reason?: string;
  /** The scheduler's own word for the state (`idle`, `drained`, `cordoned`). */
  state: string;
}

/** What Keelson remembers about its own isolation of one node. */
export interface IsolationRecord {
  node: string;
  status: 'isolated' | 'released' | 'returned' | 'taken-over';
  reason: string;
  code: string;
  since: number;
  /** When an operator returned it (undrained) behind Keelson's back. */
  returnedAt?: number;
  releasedAt?: number;
  /** First-seen of the evidence that isolated it. */
  evidenceFirstSeen: number;
}

export type IsolateVerdict =
  | { ok: true }
  | { ok: false; why: 'operator-owned' | 'already-isolated' | 'returned-no-new-evidence' | 'unknown-node' };

/**
 * May Keelson isolate `node` now for evidence first seen at `evidenceFirstSeen`? Reads the
 * scheduler's view and Keelson's record. Pure.
 */
export function mayIsolate(
  observed: readonly ObservedNode[],
  record: IsolationRecord | undefined,
  evidenceFirstSeen: number,
): IsolateVerdict {
  if (observed.length > 0 && observed.every((o) => !o.exists)) return { ok: false, why: 'unknown-node' };
  if (observed.some((o) => o.isolated && !isOwnReason(o.reason))) return { ok: false, why: 'operator-owned' };
  if (record?.status === 'isolated' && observed.every((o) => !o.exists || o.isolated)) {
    return { ok: false, why: 'already-isolated' };
  }
  if (record?.status === 'returned' && record.returnedAt !== undefined && evidenceFirstSeen <= record.returnedAt) {
    return { ok: false, why: 'returned-no-new-evidence' };
  }
  return { ok: true };
}

export type ReleaseVerdict = { ok: true } | { ok: false; why: 'not-ours' | 'not-isolated' };

/** May Keelson release a node? Only when the scheduler still shows Keelson's own isolation (its tag). */
export function mayRelease(observed: readonly ObservedNode[]): ReleaseVerdict {
  const isolated = observed.filter((o) => o.exists && o.isolated);
  if (isolated.some((o) => !isOwnReason(o.reason))) return { ok: false, why: 'not-ours' };
  if (isolated.length === 0) return { ok: false, why: 'not-isolated' };
  return { ok: true };
}

/**
 * Reconcile Keelson's record with what the scheduler shows: an operator who undrained a node
 * Keelson isolated "returned" it; one who replaced the reason "took it over". Pure.
 */
export function reconcileRecord(
  record: IsolationRecord,
  observed: readonly ObservedNode[],
  now: number,
): IsolationRecord {
  if (record.status !== 'isolated') return record;
  const present = observed.filter((o) => o.exists);
  if (present.length === 0) return record;
  if (present.some((o) => o.isolated && !isOwnReason(o.reason))) return { ...record, status: 'taken-over' };
  if (present.every((o) => !o.isolated)) return { ...record, status: 'returned', returnedAt: now };
  return record;
}
