/**
 * An in-memory actuator: a scheduler that lives in a Map. For dry runs, simulated nodes in
 * large tests (storms), and unit tests of the engine; it keeps the same owner rules as the
 * real actuators. `operator*` methods play the part of a human at the scheduler.
 */
import { KeelsonError } from '../../core/errors.ts';
import { isOwnReason, type ObservedNode } from '../isolation/safety.ts';
import type { NodeActuator } from './types.ts';

export class MemoryActuator implements NodeActuator {
  readonly nodes = new Map<string, { isolated: boolean; reason?: string }>();
  /** Every isolate/release call that changed something, in order. */
  readonly calls: { op: 'isolate' | 'release'; node: string; reason?: string }[] = [];
  /** Make the next N calls fail (to test retries and audits). */
  failNext = 0;

  constructor(
    nodes: Iterable<string>,
    readonly name = 'memory',
  ) {
    for (const n of nodes) this.nodes.set(n, { isolated: false });
  }

  async read(node: string): Promise<ObservedNode> {
    const n = this.nodes.get(node);
    if (!n) return { exists: false, isolated: false, state: 'unknown' };
    return {
      exists: true,
      isolated: n.isolated,
      state: n.isolated ? 'drained' : 'idle',
      ...(n.reason ? { reason: n.reason } : {}),
    };
  }

  async isolate(node: string, reason: string): Promise<void> {
    this.maybeFail();
    const n = this.nodes.get(node);
    if (!n) throw new KeelsonError('NOT_FOUND', `no node ${node}`);
    if (n.isolated && !isOwnReason(n.reason)) throw new KeelsonError('ISOLATION_REFUSED', `${node} is someone else's`);
    if (n.isolated && n.reason === reason) return;
    this.nodes.set(node, { isolated: true, reason });
    this.calls.push({ op: 'isolate', node, reason });
  }

  async release(node: string): Promise<void> {
    this.maybeFail();
    const n = this.nodes.get(node);
    if (!n?.isolated) return;
    if (!isOwnReason(n.reason)) throw new KeelsonError('ISOLATION_REFUSED', `${node} is someone else's`);
    this.nodes.set(node, { isolated: false });
    this.calls.push({ op: 'release', node });
  }

  /** An operator drains the node with their own reason. */
  operatorDrain(node: string, reason: string): void {
    this.nodes.set(node, { isolated: true, reason });
  }

  /** An operator returns the node to service. */
  operatorResume(node: string): void {
    this.nodes.set(node, { isolated: false });
  }

  private maybeFail(): void {
    if (this.failNext > 0) {
      this.failNext--;
      throw new KeelsonError('ACTUATOR_FAILED', 'injected failure');
    }
  }
}
