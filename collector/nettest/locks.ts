/**
 * One campaign at a time per node: a campaign takes all its nodes at once or none, and gives
 * them back when it ends.
 */
import { KeelsonError } from '../../core/errors.ts';

/** Which campaign holds which node. */
export class NodeLocks {
  private readonly holder = new Map<string, string>();

  /** Take every node for `campaignId`, or throw NETTEST_BUSY naming the nodes another campaign holds. */
  acquire(campaignId: string, nodes: readonly string[]): void {
    const busy = nodes.filter((n) => {
      const h = this.holder.get(n);
      return h !== undefined && h !== campaignId;
    });
    if (busy.length > 0) {
      const by = [...new Set(busy.map((n) => this.holder.get(n)))].join(', ');
      throw new KeelsonError('NETTEST_BUSY', `nodes ${busy.join(',')} are in another network test campaign (${by})`);
    }
    for (const n of nodes) this.holder.set(n, campaignId);
  }

  /** Give back the nodes `campaignId` holds. */
  release(campaignId: string): void {
    for (const [n, h] of this.holder) if (h === campaignId) this.holder.delete(n);
  }

  /** The campaign holding a node, if any. */
  holderOf(node: string): string | undefined {
    return this.holder.get(node);
  }
}
