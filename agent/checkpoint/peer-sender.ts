/**
 * Sends each newly summed shm slot to the buddy agent (engine's onMemory hook), newest only:
 * a slot superseded while a send runs is dropped. The data file is read without a pin; the
 * receiver checks every shard against the checksums, so a slot rewritten mid-send is refused,
 * never kept torn. Acks become `peer` durable reports; failures `ckpt.peer.unreachable`.
 */
import { join } from 'node:path';
import type { DurableReport } from '../../checkpoint-lib/commit.ts';
import { SLOT_FILES } from '../../checkpoint-lib/format.ts';
import { describeError } from '../../core/errors.ts';
import { capEvidence, type Observation } from '../../core/finding.ts';
import { type Logger, moduleLogger, silentLogger } from '../../core/logger.ts';
import { ckptEntry } from './catalog.ts';
import { type PeerAddress, peerReport, type ReplicaHead, sendReplica } from './peer.ts';
import type { FoundSlot } from './shm-slots.ts';

export class PeerSender {
  private readonly pending = new Map<string, { head: ReplicaHead; path: string }>();
  private running = false;
  private failure: string | undefined;
  private readonly log: Logger;
  /** Newest step the buddy acknowledged, per job/rank. */
  readonly acked = new Map<string, number>();

  constructor(
    private readonly node: string,
    private readonly buddy: () => PeerAddress | undefined,
    private readonly onDurable: (r: DurableReport) => void,
    logger?: Logger,
  ) {
    this.log = moduleLogger(logger ?? silentLogger(), 'ckpt-peer-send');
  }

  /** The engine's onMemory hook. */
  offer(slot: FoundSlot, sums: number[]): void {
    const head: ReplicaHead = {
      node: this.node,
      job: slot.job,
      rank: slot.rank,
      step: slot.record.step,
      world: slot.record.world,
      bytes: slot.record.dataBytes,
      shards: slot.record.shards.map((s, i) => ({ ...s, crc32: sums[i] ?? 0 })),
    };
    const key = `${slot.job}/${slot.rank}`;
    const cur = this.pending.get(key);
    if (!cur || cur.head.step <= head.step) this.pending.set(key, { head, path: join(slot.dir, SLOT_FILES.data) });
    void this.drain();
  }

  /** Resolves when nothing is queued or sending. */
  async settled(): Promise<void> {
    while (this.running || this.pending.size) await new Promise((r) => setTimeout(r, 10));
  }

  observation(): Observation | undefined {
    if (!this.failure) return undefined;
    const e = ckptEntry('ckpt.peer.unreachable');
    return {
      code: e.code,
      component: 'ckpt:peer',
      severity: e.severity,
      action: e.action,
      kind: e.kind,
      message: 'the buddy agent did not take this node’s checkpoint replica',
      evidence: capEvidence(this.failure),
    };
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const next = this.pending.entries().next();
        if (next.done) return;
        const [key, item] = next.value;
        this.pending.delete(key);
        const addr = this.buddy();
        if (!addr) continue;
        try {
          await sendReplica(addr, item.head, item.path);
          this.failure = undefined;
          this.acked.set(key, item.head.step);
          this.onDurable(peerReport(this.node, item.head));
        } catch (err) {
          this.failure = describeError(err);
          this.log.warn({ err: this.failure }, 'peer replica not sent');
        }
      }
    } finally {
      this.running = false;
    }
  }
}
