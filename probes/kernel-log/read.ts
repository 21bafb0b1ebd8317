/**
 * The kernel-log probe's only I/O: follow /dev/kmsg without blocking (non-blocking reads,
 * polled after EAGAIN; EPIPE skips records the ring overwrote), resuming after the last seq
 * seen on this boot; or follow `journalctl -k -f -o json`; or poll `dmesg --raw`.
 * Each follower hands parsed KernelLines to a callback in batches.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants as fsc } from 'node:fs';
import { access, mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { StringDecoder } from 'node:string_decoder';
import { describeError, KeelsonError } from '../../core/errors.ts';
import type { CommandRunner } from '../runner.ts';
import { type KernelLine, parseDmesgLine, parseJournalJsonLine, parseKmsgRecord } from './parse.ts';

/** Receives parsed lines, in order, in batches. */
export type LinesCallback = (lines: KernelLine[]) => void;

/** How a follower is doing, for the `kernel-log.source` fact. */
export interface FollowerHealth {
  source: 'kmsg' | 'journal' | 'dmesg';
  state: 'starting' | 'running' | 'failed' | 'closed';
  /** Lines delivered. */
  lines: number;
  /** Records skipped as already seen / older than the start. */
  skipped: number;
  /** Times the kernel ring overwrote records before we read them (EPIPE). */
  overwritten: number;
  lastError?: string;
}

/** The small state file that lets a restarted agent resume after the last record it saw. */
export interface KmsgResumeState {
  bootId: string;
  lastSeq: number;
}

/** Read the boot id below a proc root (`<proc>/sys/kernel/random/boot_id`); undefined when unreadable. */
export async function readBootId(procRoot: string): Promise<string | undefined> {
  try {
    const id = (await readFile(path.join(procRoot, 'sys/kernel/random/boot_id'), 'utf8')).trim();
    return id === '' ? undefined : id;
  } catch {
    return undefined;
  }
}

/** Seconds since boot from `<proc>/uptime`; undefined when unreadable. */
export async function readUptimeSec(procRoot: string): Promise<number | undefined> {
  try {
    const first = (await readFile(path.join(procRoot, 'uptime'), 'utf8')).trim().split(/\s+/)[0];
    const v = Number(first);
    return first !== undefined && first !== '' && Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

async function readResumeState(statePath: string | undefined): Promise<KmsgResumeState | undefined> {
  if (!statePath) return undefined;
  try {
    const v = JSON.parse(await readFile(statePath, 'utf8')) as Partial<KmsgResumeState>;
    if (typeof v.bootId === 'string' && typeof v.lastSeq === 'number' && Number.isFinite(v.lastSeq)) {
      return { bootId: v.bootId, lastSeq: v.lastSeq };
    }
  } catch {
    // missing or corrupt: start fresh
  }
  return undefined;
}

async function writeResumeState(statePath: string, s: KmsgResumeState): Promise<void> {
  await mkdir(path.dirname(statePath), { recursive: true });
  const tmp = `${statePath}.tmp`;
  await writeFile(tmp, `${JSON.stringify(s)}\n`);
  await rename(tmp, statePath);
}

/** The minimal file handle the follower needs; tests substitute one that raises EAGAIN/EPIPE. */
export interface KmsgHandle {
  read(buf: Buffer): Promise<number>;
  close(): Promise<void>;
}

/** Open a path read-only and non-blocking. */
export async function openNonBlocking(p: string): Promise<KmsgHandle> {
  const fh = await open(p, fsc.O_RDONLY | fsc.O_NONBLOCK);
  return {
    read: async (buf) => (await fh.read(buf, 0, buf.length, null)).bytesRead,
    close: () => fh.close(),
  };
}

export interface KmsgFollowerOptions {
  /** Usually `<roots.dev>/kmsg`. */
  path: string;
  /** Usually roots.proc: boot id and uptime are read below it. */
  procRoot: string;
  /** Where the last seq seen is kept; without it every start is a first start. */
  statePath?: string;
  onLines: LinesCallback;
  onError?: (err: Error) => void;
  /** Wait after EAGAIN / end of file before reading again (ms). */
  pollMs?: number;
  /** How often the resume state is written at most (ms). */
  saveEveryMs?: number;
  openImpl?: (p: string) => Promise<KmsgHandle>;
}

const BATCH = 512;

/**
 * Follows /dev/kmsg (or a file in its format). Starts where the agent left off on this boot,
 * or, on a first start, with records newer than the agent's start (monotonic usec vs uptime).
 */
export class KmsgFollower {
  private handle: KmsgHandle | undefined;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private readonly buf = Buffer.alloc(16_384);
  private skipSeqUpTo = -1;
  private skipMonoBelowUs = -1;
  private lastSeq = -1;
  private savedSeq = -1;
  private lastSave = 0;
  private saving: Promise<void> | undefined;
  private readonly h: FollowerHealth = { source: 'kmsg', state: 'starting', lines: 0, skipped: 0, overwritten: 0 };
  /** Boot id read at start. */
  bootId: string | undefined;
  /** Seconds since boot at start. */
  uptimeAtStartSec: number | undefined;

  constructor(private readonly opts: KmsgFollowerOptions) {}

  /** Open the device and start reading; rejects (KeelsonError NOT_FOUND) when it cannot be opened. */
  async start(): Promise<void> {
    this.bootId = await readBootId(this.opts.procRoot);
    this.uptimeAtStartSec = await readUptimeSec(this.opts.procRoot);
    const saved = await readResumeState(this.opts.statePath);
    if (saved && this.bootId !== undefined && saved.bootId === this.bootId) {
      this.skipSeqUpTo = saved.lastSeq;
    } else if (!saved && this.uptimeAtStartSec !== undefined) {
      this.skipMonoBelowUs = this.uptimeAtStartSec * 1e6;
    }
    // A saved state from another boot: this ring is all new to us, read it whole.
    try {
      this.handle = await (this.opts.openImpl ?? openNonBlocking)(this.opts.path);
    } catch (err) {
      this.h.state = 'failed';
      this.h.lastError = describeError(err);
      throw new KeelsonError('NOT_FOUND', `cannot open ${this.opts.path}: ${describeError(err)}`, { cause: err });
    }
    this.h.state = 'running';
    this.schedule(0);
  }

  /** Stop reading, save the resume state, close the device. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.h.state = 'closed';
    await this.saving;
    await this.save(true);
    await this.handle?.close().catch(() => undefined);
  }

  /** Current health. */
  health(): FollowerHealth {
    return { ...this.h };
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.pump(), ms);
  }

  private async pump(): Promise<void> {
    const handle = this.handle;
    if (!handle || this.closed) return;
    const batch: KernelLine[] = [];
    let wait = 0;
    for (;;) {
      if (this.closed) return;
      let n: number;
      try {
        n = await handle.read(this.buf);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
          wait = this.opts.pollMs ?? 200;
          break;
        }
        if (code === 'EPIPE') {
          // The ring overwrote what we were about to read; the next read returns the oldest record left.
          this.h.overwritten += 1;
          continue;
        }
        if (code === 'EINTR') continue;
        this.deliver(batch);
        this.fail(err);
        return;
      }
      if (n === 0) {
        // End of a regular file or FIFO standing in for the device: wait for more (tail -f).
        wait = this.opts.pollMs ?? 200;
        break;
      }
      this.take(this.decoder.write(this.buf.subarray(0, n)), batch);
      if (batch.length >= BATCH) break;
    }
    this.deliver(batch);
    this.maybeSave();
    this.schedule(wait);
  }

  private take(chunk: string, batch: KernelLine[]): void {
    const text = this.pending + chunk;
    const parts = text.split('\n');
    this.pending = parts.pop() ?? '';
    if (this.pending.length > 65_536) this.pending = '';
    for (const raw of parts) {
      if (raw === '' || raw.startsWith(' ')) continue; // dictionary continuation (` SUBSYSTEM=...`)
      const line = parseKmsgRecord(raw);
      if (!line || line.seq === undefined) {
        this.h.skipped += 1;
        continue;
      }
      if (line.seq <= this.skipSeqUpTo || (line.monotonicUs ?? 0) < this.skipMonoBelowUs) {
        this.h.skipped += 1;
        this.lastSeq = Math.max(this.lastSeq, line.seq);
        continue;
      }
      this.lastSeq = Math.max(this.lastSeq, line.seq);
      if (this.bootId !== undefined) line.bootId = this.bootId;
      batch.push(line);
    }
  }

  private deliver(batch: KernelLine[]): void {
    if (batch.length === 0) return;
    this.h.lines += batch.length;
    try {
      this.opts.onLines(batch);
    } catch (err) {
      this.opts.onError?.(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private maybeSave(): void {
    if (this.saving || this.lastSeq === this.savedSeq) return;
    if (Date.now() - this.lastSave < (this.opts.saveEveryMs ?? 1000)) return;
    this.saving = this.save(false).finally(() => {
      this.saving = undefined;
    });
  }

  private async save(force: boolean): Promise<void> {
    const sp = this.opts.statePath;
    if (!sp || this.bootId === undefined || this.lastSeq < 0) return;
    if (!force && this.lastSeq === this.savedSeq) return;
    const seq = this.lastSeq;
    this.lastSave = Date.now();
    try {
      await writeResumeState(sp, { bootId: this.bootId, lastSeq: seq });
      this.savedSeq = seq;
    } catch (err) {
      this.h.lastError = `saving ${sp}: ${describeError(err)}`;
    }
  }

  private fail(err: unknown): void {
    this.h.state = 'failed';
    this.h.lastError = describeError(err);
    this.opts.onError?.(err instanceof Error ? err : new Error(String(err)));
  }
}

export interface JournalFollowerOptions {
  onLines: LinesCallback;
  onError?: (err: Error) => void;
  /** Defaults to `journalctl`. */
  command?: string;
  /** Defaults to `-k -f -o json -n 0` (kernel messages from now on, one JSON object a line). */
  args?: readonly string[];
  /** Lines longer than this are dropped. */
  maxLineBytes?: number;
}

/** Follows `journalctl -k -f -o json`, line-buffered, when /dev/kmsg cannot be read. */
export class JournalFollower {
  private child: ChildProcess | undefined;
  private closed = false;
  private readonly h: FollowerHealth = { source: 'journal', state: 'starting', lines: 0, skipped: 0, overwritten: 0 };

  constructor(private readonly opts: JournalFollowerOptions) {}

  /** Spawn journalctl; rejects when it cannot start (KeelsonError CMD_MISSING / CMD_FAILED). */
  start(): Promise<void> {
    const cmd = this.opts.command ?? 'journalctl';
    const args = this.opts.args ?? ['-k', '-f', '-o', 'json', '-n', '0'];
    const maxLine = this.opts.maxLineBytes ?? 1_048_576;
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
      this.child = child;
      let started = false;
      let stderr = '';
      child.stderr?.on('data', (c: Buffer) => {
        if (stderr.length < 4096) stderr += c.toString('utf8');
      });
      child.once('spawn', () => {
        started = true;
        this.h.state = 'running';
        resolve();
      });
      child.once('error', (e: NodeJS.ErrnoException) => {
        const err =
          e.code === 'ENOENT'
            ? new KeelsonError('CMD_MISSING', `${cmd} is not installed`, { cause: e })
            : new KeelsonError('CMD_FAILED', `${cmd} could not start: ${e.message}`, { cause: e });
        this.h.state = 'failed';
        this.h.lastError = err.message;
        if (!started) reject(err);
        else this.opts.onError?.(err);
      });
      child.once('close', (code, signal) => {
        if (this.closed) return;
        this.h.state = 'failed';
        const tail = stderr.trim().split('\n').slice(-1)[0] ?? '';
        this.h.lastError = `${cmd} exited ${signal ?? code}${tail ? `: ${tail}` : ''}`;
        this.opts.onError?.(new KeelsonError('CMD_FAILED', this.h.lastError));
      });
      if (!child.stdout) return;
      const rl = createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY });
      rl.on('line', (raw) => {
        if (raw.length > maxLine) {
          this.h.skipped += 1;
          return;
        }
        const line = parseJournalJsonLine(raw);
        if (!line) {
          this.h.skipped += 1;
          return;
        }
        this.h.lines += 1;
        try {
          this.opts.onLines([line]);
        } catch (err) {
          this.opts.onError?.(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
  }

  /** Stop following (kills journalctl). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.h.state = 'closed';
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 2000);
      child.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /** Current health. */
  health(): FollowerHealth {
    return { ...this.h };
  }
}

export interface DmesgPollerOptions {
  runner: CommandRunner;
  onLines: LinesCallback;
  onError?: (err: Error) => void;
  intervalMs: number;
  timeoutMs: number;
  outputCapBytes: number;
  /** Deliver only records at or after this many µs since boot; without it the first poll is a baseline. */
  sinceMonotonicUs?: number;
  bootId?: string;
}

/** Polls `dmesg --raw` (the last fallback), delivering records newer than the last one seen. */
export class DmesgPoller {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastUs: number | undefined;
  private seenAtLast = new Set<string>();
  private readonly h: FollowerHealth = { source: 'dmesg', state: 'starting', lines: 0, skipped: 0, overwritten: 0 };

  constructor(private readonly opts: DmesgPollerOptions) {
    if (opts.sinceMonotonicUs !== undefined) this.lastUs = opts.sinceMonotonicUs - 1;
  }

  /** Poll once now (rejects if dmesg cannot be read) and then every intervalMs. */
  async start(): Promise<void> {
    await this.poll();
    this.h.state = 'running';
    this.schedule();
  }

  /** Stop polling. */
  async close(): Promise<void> {
    this.closed = true;
    this.h.state = 'closed';
    if (this.timer) clearTimeout(this.timer);
  }

  /** Current health. */
  health(): FollowerHealth {
    return { ...this.h };
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.poll()
        .catch((err: unknown) => {
          this.h.lastError = describeError(err);
          this.opts.onError?.(err instanceof Error ? err : new Error(String(err)));
        })
        .finally(() => this.schedule());
    }, this.opts.intervalMs);
  }

  /** One poll; exposed for tests. */
  async poll(): Promise<void> {
    const out = await this.opts.runner.run('dmesg', ['--raw'], {
      timeoutMs: this.opts.timeoutMs,
      outputCapBytes: this.opts.outputCapBytes,
    });
    const lines: KernelLine[] = [];
    let maxUs = this.lastUs;
    const atMax = new Set<string>();
    const baseline = this.lastUs === undefined;
    for (const raw of out.stdout.split('\n')) {
      if (raw.trim() === '') continue;
      const line = parseDmesgLine(raw);
      if (!line || line.monotonicUs === undefined) continue;
      const us = line.monotonicUs;
      if (maxUs === undefined || us > maxUs) {
        maxUs = us;
        atMax.clear();
      }
      if (us === maxUs) atMax.add(line.text);
      const isNew =
        !baseline &&
        this.lastUs !== undefined &&
        (us > this.lastUs || (us === this.lastUs && !this.seenAtLast.has(line.text)));
      if (!isNew) {
        this.h.skipped += 1;
        continue;
      }
      if (this.opts.bootId !== undefined) line.bootId = this.opts.bootId;
      lines.push(line);
    }
    if (maxUs !== undefined && maxUs !== this.lastUs) this.seenAtLast = atMax;
    else for (const t of atMax) this.seenAtLast.add(t);
    this.lastUs = maxUs;
    if (lines.length > 0) {
      this.h.lines += lines.length;
      this.opts.onLines(lines);
    }
  }
}

/** Whether the current process can read a path (used by isSupported). */
export async function canRead(p: string): Promise<boolean> {
  try {
    await access(p, fsc.R_OK);
    const h = await openNonBlocking(p);
    await h.close();
    return true;
  } catch {
    return false;
  }
}
