/**
 * The agent's outbox: numbers every message, keeps it until the collector acknowledges it,
 * and replays the rest after a reconnect. Memory is bounded; findings are also written to a
 * disk spool first, so neither a long collector outage nor an agent restart loses one.
 * Older snapshots and metrics are dropped first when memory runs out (a newer one supersedes them).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../core/logger.ts';
import type { SequencedMessage } from '../protocol/messages.ts';
import { Spool } from './spool.ts';

/** A sequenced message before the outbox gives it its number. */
export type Unsequenced = SequencedMessage extends infer M
  ? M extends SequencedMessage
    ? Omit<M, 'seq'>
    : never
  : never;

export interface OutboxOptions {
  dir: string;
  maxMessages: number;
  maxSpoolBytes: number;
  log: Logger;
}

interface Meta {
  epoch: string;
  /** Sequence numbers up to here may have been used; a restart continues above it. */
  seqReservedUpTo: number;
  ackedSeq: number;
}

/** How many sequence numbers are reserved per write of the meta file. */
const SEQ_BLOCK = 1000;

export class Outbox {
  private queue: SequencedMessage[] = [];
  private nextSeq: number;
  private meta: Meta;
  /** Findings with seq ≤ this live only in the spool (memory overflowed). */
  private spoolOnlyUpTo = 0;
  private spoolMaxSeq = 0;
  /** Messages dropped because memory or the spool was full (never findings unless the spool is full). */
  dropped = 0;

  private constructor(
    private readonly opts: OutboxOptions,
    private readonly spool: Spool,
    meta: Meta,
    spooled: SequencedMessage[],
  ) {
    this.meta = meta;
    const live = spooled.filter((m) => m.seq > meta.ackedSeq).sort((a, b) => a.seq - b.seq);
    this.spoolMaxSeq = spooled.reduce((m, r) => Math.max(m, r.seq), 0);
    if (live.length > opts.maxMessages) {
      this.spoolOnlyUpTo = live[live.length - opts.maxMessages - 1]!.seq;
      this.queue = live.slice(-opts.maxMessages);
    } else {
      this.queue = live;
    }
    this.nextSeq = Math.max(meta.seqReservedUpTo, this.spoolMaxSeq, meta.ackedSeq) + 1;
    this.reserve();
  }

  /** Open the outbox in `dir`, recovering the epoch, sequence numbers and spooled findings. */
  static open(opts: OutboxOptions): Outbox {
    mkdirSync(opts.dir, { recursive: true });
    let meta: Meta;
    try {
      meta = JSON.parse(readFileSync(join(opts.dir, 'meta.json'), 'utf8')) as Meta;
      if (typeof meta.epoch !== 'string' || !Number.isInteger(meta.seqReservedUpTo)) throw new Error('bad meta');
    } catch {
      meta = { epoch: randomUUID(), seqReservedUpTo: 0, ackedSeq: 0 };
    }
    const { spool, records } = Spool.open(join(opts.dir, 'findings.spool'));
    const spooled = records.filter(
      (r): r is SequencedMessage =>
        typeof r === 'object' && r !== null && Number.isInteger((r as { seq?: unknown }).seq),
    );
    return new Outbox(opts, spool, meta, spooled);
  }

  /** Identifies this sequence space to the collector. */
  get epoch(): string {
    return this.meta.epoch;
  }

  get ackedSeq(): number {
    return this.meta.ackedSeq;
  }

  /** Messages waiting for an acknowledgement. */
  get size(): number {
    return this.queue.length + (this.spoolOnlyUpTo > this.meta.ackedSeq ? 1 : 0);
  }

  /** Number a message, keep it (spooling findings durably) and return it for sending. */
  enqueue(msg: Unsequenced): SequencedMessage {
    const seq = this.nextSeq++;
    if (seq > this.meta.seqReservedUpTo) this.reserve();
    const full = { ...msg, seq } as SequencedMessage;
    if (full.type === 'findings') this.spoolFindings(full);
    if (full.type === 'snapshot') this.queue = this.queue.filter((m) => m.type !== 'snapshot');
    this.queue.push(full);
    this.trim();
    return full;
  }

  /** The collector stored everything up to `seq`. */
  ack(seq: number): void {
    if (seq <= this.meta.ackedSeq) return;
    this.meta.ackedSeq = seq;
    this.queue = this.queue.filter((m) => m.seq > seq);
    if (seq >= this.spoolMaxSeq && this.spool.sizeBytes > 0) {
      this.spool.truncate();
      this.spoolOnlyUpTo = 0;
      this.writeMeta();
    }
    if (seq >= this.nextSeq) {
      // The collector has seen numbers we have not handed out (restored state): move past them.
      this.nextSeq = seq + 1;
      this.reserve();
    }
  }

  /** Everything not yet acknowledged, oldest first, including a backlog that lives only on disk. */
  pending(): SequencedMessage[] {
    if (this.spoolOnlyUpTo <= this.meta.ackedSeq) return [...this.queue];
    const fromDisk = this.spool
      .readAll()
      .filter(
        (r): r is SequencedMessage =>
          typeof r === 'object' &&
          r !== null &&
          Number.isInteger((r as { seq?: unknown }).seq) &&
          (r as SequencedMessage).seq > this.meta.ackedSeq &&
          (r as SequencedMessage).seq <= this.spoolOnlyUpTo,
      );
    return [...fromDisk, ...this.queue].sort((a, b) => a.seq - b.seq);
  }

  close(): void {
    this.writeMeta();
    this.spool.close();
  }

  private spoolFindings(msg: SequencedMessage): void {
    if (this.spool.sizeBytes >= this.opts.maxSpoolBytes) {
      this.dropped += 1;
      this.opts.log.error(
        { seq: msg.seq, spoolBytes: this.spool.sizeBytes },
        'findings spool is full; kept in memory only',
      );
      return;
    }
    try {
      this.spool.append(msg);
      this.spoolMaxSeq = Math.max(this.spoolMaxSeq, msg.seq);
    } catch (err) {
      this.opts.log.error({ err, seq: msg.seq }, 'cannot spool findings; kept in memory only');
    }
  }

  private trim(): void {
    while (this.queue.length > this.opts.maxMessages) {
      const i = this.queue.findIndex((m) => m.type !== 'findings');
      if (i >= 0) {
        this.queue.splice(i, 1);
        this.dropped += 1;
        continue;
      }
      // Only findings left: the oldest stays on disk only.
      const oldest = this.queue.shift()!;
      if (oldest.seq <= this.spoolMaxSeq) this.spoolOnlyUpTo = Math.max(this.spoolOnlyUpTo, oldest.seq);
      else this.dropped += 1;
    }
  }

  private reserve(): void {
    this.meta.seqReservedUpTo = this.nextSeq + SEQ_BLOCK;
    this.writeMeta();
  }

  private writeMeta(): void {
    const path = join(this.opts.dir, 'meta.json');
    const tmp = `${path}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(this.meta), { flush: true });
      renameSync(tmp, path);
    } catch (err) {
      this.opts.log.error({ err }, 'cannot write outbox meta');
    }
  }
}
