/**
 * Follows a training log file like `tail -F`: reads only appended bytes, survives rotation
 * (a new inode at the path: the old file is drained first, the new one read from its start)
 * and truncation (size below our offset: read again from 0). Polling-based, so it works on
 * network file systems where fs.watch does not.
 */
import { type FileHandle, open, stat } from 'node:fs/promises';
import { LineFramer } from './line-framer.ts';

export interface LogTailOptions {
  path: string;
  /** Where to begin in a file that exists at start: its end (default, like tail -F) or its start. */
  startAt?: 'end' | 'start';
  pollMs?: number;
  maxLineBytes?: number;
  /** Bytes read per poll at most (the rest waits for the next poll). */
  maxReadPerPoll?: number;
  onLines: (lines: string[]) => void;
  onError?: (err: Error) => void;
}

/** What the follower is doing, for the jobs view. */
export interface LogTailState {
  path: string;
  state: 'waiting' | 'following' | 'stopped';
  offset: number;
  rotations: number;
  truncations: number;
  lines: number;
  overlong: number;
}

export class LogTail {
  private fh: FileHandle | undefined;
  private ino = -1;
  private offset = 0;
  private framer: LineFramer;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private first = true;
  private stopped = false;
  private readonly buf: Buffer;
  readonly state: LogTailState;

  constructor(private readonly o: LogTailOptions) {
    this.framer = new LineFramer(o.maxLineBytes ?? 64 * 1024);
    this.buf = Buffer.alloc(Math.min(o.maxReadPerPoll ?? 4 * 1024 * 1024, 1024 * 1024));
    this.state = { path: o.path, state: 'waiting', offset: 0, rotations: 0, truncations: 0, lines: 0, overlong: 0 };
  }

  /** Start polling (the first poll runs at once). */
  start(): void {
    const tick = () => {
      void this.poll().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.o.pollMs ?? 500);
      });
    };
    tick();
  }

  /** One poll: read whatever was appended since the last one. Safe to call by hand in tests. */
  async poll(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      await this.pollOnce();
    } catch (err) {
      this.o.onError?.(err as Error);
    } finally {
      this.busy = false;
    }
  }

  private async pollOnce(): Promise<void> {
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(this.o.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // Gone (mid-rotation): finish what the old file still holds, then wait for a new one.
      if (this.fh) await this.drainAndClose();
      this.first = false;
      this.state.state = 'waiting';
      return;
    }
    if (this.fh && st.ino !== this.ino) {
      await this.drainAndClose();
      this.state.rotations += 1;
    }
    if (!this.fh) {
      this.fh = await open(this.o.path, 'r');
      this.ino = (await this.fh.stat()).ino;
      const atEnd = this.first && (this.o.startAt ?? 'end') === 'end';
      this.offset = atEnd ? st.size : 0;
      this.first = false;
      this.framer = new LineFramer(this.o.maxLineBytes ?? 64 * 1024);
      this.state.state = 'following';
    }
    const size = (await this.fh.stat()).size;
    if (size < this.offset) {
      this.offset = 0;
      this.framer = new LineFramer(this.o.maxLineBytes ?? 64 * 1024);
      this.state.truncations += 1;
    }
    await this.readTo(size);
  }

  private async readTo(size: number): Promise<void> {
    const fh = this.fh;
    if (!fh) return;
    let budget = this.o.maxReadPerPoll ?? 4 * 1024 * 1024;
    while (this.offset < size && budget > 0) {
      const want = Math.min(this.buf.length, size - this.offset, budget);
      const { bytesRead } = await fh.read(this.buf, 0, want, this.offset);
      if (bytesRead === 0) break;
      this.offset += bytesRead;
      budget -= bytesRead;
      this.emit(this.framer.push(this.buf.subarray(0, bytesRead)));
    }
    this.state.offset = this.offset;
  }

  private emit(lines: string[]): void {
    this.state.overlong = this.framer.overlong;
    if (lines.length === 0) return;
    this.state.lines += lines.length;
    this.o.onLines(lines);
  }

  private async drainAndClose(): Promise<void> {
    const fh = this.fh;
    if (!fh) return;
    try {
      await this.readTo((await fh.stat()).size);
      this.emit(this.framer.flush());
    } finally {
      this.fh = undefined;
      await fh.close().catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 5));
    const fh = this.fh;
    this.fh = undefined;
    if (fh) await fh.close().catch(() => undefined);
    this.state.state = 'stopped';
  }
}
