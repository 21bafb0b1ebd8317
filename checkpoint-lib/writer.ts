/**
 * The TypeScript checkpoint writer (tests, the simulator): shards go into preallocated,
 * reused shm slot files with fs.writeSync at offsets, the commit record last, then a note to
 * the agent. Node has no mmap, so a steady-state save costs ~2× a Buffer.copy of the same bytes
 * (STACK.md); the Python writer (mmap slice assignment, ~1.3×) is the training path.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, ftruncateSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { layoutShards, type Shard, SLOT_FILES, SLOT_FORMAT, type SlotRecord, shmPaths } from './format.ts';
import { AgentNotifier } from './notify.ts';
import { chooseSlot, type SlotPolicy } from './slot-choice.ts';
import { claimSlot, commitSlot, viewSlots } from './slot-claim.ts';

/** A shard as given to save: raw bytes, optionally with tensor metadata. */
export type ShardInput = Uint8Array | { data: Uint8Array; dtype?: string; shape?: number[] };

export interface WriterOptions {
  /** Root of the shm tree (default /dev/shm/keelson). */
  shmRoot?: string;
  /** Unix socket of the agent (default: env KEELSON_CKPT_SOCKET; none: no note). */
  socketPath?: string;
  slots?: number;
  maxSlots?: number;
  policy?: SlotPolicy;
  /** Most shm bytes this rank may hold (0 = unlimited). */
  budgetBytes?: number;
}

/** What one save did. */
export type SaveResult =
  | { saved: true; step: number; slot: number; saveId: string; bytes: number; stallMs: number }
  | { saved: false; step: number; reason: string; stallMs: number };

const CHUNK = 1 << 30;

/** Writes one rank's checkpoints into its shm slot ring. */
export class Checkpointer {
  readonly shmRoot: string;
  private readonly fds = new Map<number, number>();
  private readonly notifier: AgentNotifier;

  constructor(
    readonly job: string,
    readonly rank: number,
    readonly world: number,
    private readonly opts: WriterOptions = {},
  ) {
    this.shmRoot = opts.shmRoot ?? '/dev/shm/keelson';
    this.notifier = new AgentNotifier(opts.socketPath ?? process.env.KEELSON_CKPT_SOCKET);
  }

  /** Save one step; never waits for the agent. */
  save(step: number, shards: Record<string, ShardInput>): SaveResult {
    const t0 = performance.now();
    const entries = Object.entries(shards).map(([name, v]) =>
      v instanceof Uint8Array ? { name, data: v } : { name, data: v.data, dtype: v.dtype, shape: v.shape },
    );
    const { offsets, dataBytes } = layoutShards(entries.map((e) => e.data.byteLength));
    const rankDir = shmPaths.rank(this.shmRoot, this.job, this.rank);
    let views = viewSlots(rankDir);
    for (let attempt = 0; attempt < 4; attempt++) {
      const choice = chooseSlot(views, {
        slots: this.opts.slots ?? 2,
        maxSlots: this.opts.maxSlots ?? 4,
        policy: this.opts.policy ?? 'skip',
        needBytes: dataBytes,
        budgetBytes: this.opts.budgetBytes ?? 0,
      });
      if (choice.kind === 'skip') return this.skipped(step, choice.reason, t0);
      const dir = shmPaths.slot(this.shmRoot, this.job, this.rank, choice.slot);
      if (!claimSlot(dir)) {
        views = views.map((v) => (v.slot === choice.slot ? { ...v, state: 'pinned' as const } : v));
        continue;
      }
      const fd = this.dataFd(dir, choice.slot, dataBytes);
      const meta: Shard[] = [];
      entries.forEach((e, i) => {
        const off = offsets[i] ?? 0;
        const bytes = e.data;
        for (let done = 0; done < bytes.byteLength; ) {
          const n = Math.min(CHUNK, bytes.byteLength - done);
          done += writeSync(fd, bytes, done, n, off + done);
        }
        meta.push({
          name: e.name,
          offset: off,
          size: bytes.byteLength,
          ...(e.dtype ? { dtype: e.dtype } : {}),
          ...(e.shape ? { shape: e.shape } : {}),
        });
      });
      const saveId = randomBytes(8).toString('hex');
      const record: SlotRecord = {
        format: SLOT_FORMAT,
        job: this.job,
        rank: this.rank,
        world: this.world,
        step,
        saveId,
        slot: choice.slot,
        createdAt: Date.now(),
        dataBytes,
        shards: meta,
      };
      commitSlot(dir, record, (p, text) => writeFileSync(p, text));
      const stallMs = performance.now() - t0;
      this.notifier.send({
        type: 'ckpt-saved',
        job: this.job,
        rank: this.rank,
        world: this.world,
        step,
        slot: choice.slot,
        saveId,
      });
      return { saved: true, step, slot: choice.slot, saveId, bytes: dataBytes, stallMs };
    }
    return this.skipped(step, 'all-slots-busy', t0);
  }

  /** Close the slot files and the agent connection. */
  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
    this.notifier.close();
  }

  private skipped(step: number, reason: string, t0: number): SaveResult {
    this.notifier.send({ type: 'ckpt-skipped', job: this.job, rank: this.rank, step, reason });
    return { saved: false, step, reason, stallMs: performance.now() - t0 };
  }

  /** The slot's data file, kept open and grown (never shrunk) to fit. */
  private dataFd(dir: string, slot: number, bytes: number): number {
    let fd = this.fds.get(slot);
    if (fd === undefined) {
      fd = openSync(join(dir, SLOT_FILES.data), 'a+');
      closeSync(fd);
      fd = openSync(join(dir, SLOT_FILES.data), 'r+');
      this.fds.set(slot, fd);
    }
    if (fstatSync(fd).size < bytes) ftruncateSync(fd, bytes);
    return fd;
  }
}
