/**
 * The contract every node actuator keeps (Slurm, Kubernetes): read what the scheduler shows,
 * isolate with an owner-tagged reason, release. Implementations are idempotent and retry
 * transient failures; the safety decisions stay in the engine (isolation/safety.ts).
 */
import type { ObservedNode } from '../isolation/safety.ts';

export type { ObservedNode } from '../isolation/safety.ts';

export interface NodeActuator {
  /** `slurm`, `kubernetes`, or a test's name. */
  readonly name: string;
  /** What the scheduler shows about one node. */
  read(node: string): Promise<ObservedNode>;
  /** Drain/cordon with `reason` (owner-tagged). Idempotent; refuses a node isolated by someone else. */
  isolate(node: string, reason: string): Promise<void>;
  /** Undo Keelson's own isolation. Idempotent; refuses a node whose isolation is not Keelson's. */
  release(node: string): Promise<void>;
}

/** Something told about every decision and action (webhook, exec hook). */
export interface IsolationNotifier {
  readonly name: string;
  notify(event: IsolationEvent): Promise<void>;
}

/** What notifiers receive. */
export interface IsolationEvent {
  /** `isolate`, `release`, `pending-approval`, `breaker-tripped`, `restart-job`, `reschedule-job`, `recommend`. */
  type: string;
  node?: string;
  code?: string;
  reason?: string;
  at: number;
  detail?: Record<string, unknown>;
}
