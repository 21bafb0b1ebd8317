/**
 * Group commit: every sequenced message that arrives within one turn of the event loop is
 * applied in one SQLite transaction (one fsync instead of one per message), then each is
 * acknowledged. Acks still follow the commit, so nothing acknowledged can be lost. When the
 * commit itself fails, the fleet reloads its state from the database, so memory never claims
 * what the disk does not hold, and every message in the batch is refused (the agents replay).
 * When one message fails alone (its savepoint rolled back), the node's later messages in the
 * same batch are refused too: applying them would store a seq past the one that was not applied.
 *
 * The fleet's own writes (a hello, a disconnect, a lost node, a collector-owned finding) join the
 * same queue through `defer`, in order with the messages: a node's hello row is written before
 * the messages it sends after its welcome, and a thousand agents leaving at once are one commit.
 */
import type { Logger } from '../core/logger.ts';
import type { SequencedMessage } from '../protocol/messages.ts';
import type { Fleet } from './fleet.ts';
import type { Store } from './store.ts';

/** What became of one message: applied (fresh) or a duplicate, or an error. */
export type ApplyOutcome = { ok: true; fresh: boolean } | { ok: false; error: unknown };

const FRESH: ApplyOutcome = Object.freeze({ ok: true, fresh: true });
const DUPLICATE: ApplyOutcome = Object.freeze({ ok: true, fresh: false });

type Item =
  | { nodeId: string; msg: SequencedMessage; now: number; done: (o: ApplyOutcome) => void }
  | { write: () => void; onFailure: ((err: unknown) => void) | undefined };

export class ApplyBatcher {
  private queue: Item[] = [];
  private scheduled = false;
  /** Sizes of the last batches, for the metrics. */
  lastBatchSize = 0;

  constructor(
    private readonly store: Store,
    private readonly fleet: Fleet,
    private readonly log: Logger,
    private readonly maxBatch = 2000,
  ) {
    fleet.useWriter((write, onFailure) => this.defer(write, onFailure));
  }

  /** Queue a message; `done` is called after the batch that holds it commits (or fails). */
  submit(nodeId: string, msg: SequencedMessage, now: number, done: (o: ApplyOutcome) => void): void {
    this.enqueue({ nodeId, msg, now, done });
  }

  /**
   * Queue one of the fleet's own writes. It runs in its own savepoint inside the next batch: when
   * it throws, it alone is rolled back and `onFailure` hears why (or the log, without one).
   */
  defer(write: () => void, onFailure?: (err: unknown) => void): void {
    this.enqueue({ write, onFailure });
  }

  private enqueue(item: Item): void {
    this.queue.push(item);
    if (this.queue.length >= this.maxBatch) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Apply and commit everything queued now. */
  flush(): void {
    this.scheduled = false;
    const items = this.queue;
    this.queue = [];
    if (!items.length) return;
    this.lastBatchSize = items.length;
    const outcomes: (ApplyOutcome | undefined)[] = new Array(items.length);
    this.fleet.beginBatch();
    try {
      this.store.batch(() => {
        let failed: Set<string> | undefined;
        for (let k = 0; k < items.length; k++) {
          const i = items[k]!;
          if ('write' in i) {
            try {
              this.store.batch(i.write);
            } catch (error) {
              outcomes[k] = { ok: false, error };
            }
            continue;
          }
          if (failed?.has(i.nodeId)) {
            outcomes[k] = { ok: false, error: new Error(`an earlier message of ${i.nodeId} in this batch failed`) };
            continue;
          }
          try {
            outcomes[k] = this.fleet.apply(i.nodeId, i.msg, i.now) ? FRESH : DUPLICATE;
          } catch (error) {
            // Its own savepoint rolled back; the others in the batch stand.
            outcomes[k] = { ok: false, error };
            failed ??= new Set();
            failed.add(i.nodeId);
          }
        }
      });
    } catch (error) {
      this.log.error({ err: error, batch: items.length }, 'group commit failed; reloading the fleet from the database');
      this.fleet.reload();
      for (const i of items) this.report(i, { ok: false, error });
      return;
    }
    this.fleet.flushEvents();
    for (let k = 0; k < items.length; k++) this.report(items[k]!, outcomes[k] ?? FRESH);
  }

  private report(i: Item, o: ApplyOutcome): void {
    if (!('write' in i)) {
      i.done(o);
      return;
    }
    if (o.ok) return;
    if (i.onFailure) i.onFailure(o.error);
    else this.log.error({ err: o.error }, 'failed to store a fleet change');
  }
}
