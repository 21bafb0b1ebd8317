/**
 * Lower the agent's own I/O priority while it flushes. Node has no ioprio_set, and an I/O
 * priority belongs to a thread, not a process: Node's file I/O runs on libuv's pool threads.
 * So at the start of a flush we run `ionice -c 3 -p <every thread id in /proc/self/task>`
 * (idle class) and at the end put the class we found back. The agent's other disk writes
 * (spool) share the lowered priority while a flush runs — the issue asks for exactly that.
 * Only schedulers that honour I/O classes (BFQ, the old CFQ) act on it; mq-deadline ignores it.
 */
import { readdir } from 'node:fs/promises';
import type { Logger } from '../../core/logger.ts';
import type { CommandRunner } from '../../probes/runner.ts';

const RUN = { timeoutMs: 5000, outputCapBytes: 4096 };

/** Parse `ionice -p` output ("best-effort: prio 4", "idle", "none: prio 0") into ionice args. */
export function parseIoniceClass(text: string): string[] {
  const m = /^(none|realtime|best-effort|idle)(?::\s*prio\s*(\d+))?/m.exec(text.trim());
  if (!m) return ['-c', '0'];
  const cls = { none: '0', realtime: '1', 'best-effort': '2', idle: '3' }[m[1] as 'none'];
  return m[2] !== undefined && cls !== '3' && cls !== '0' ? ['-c', cls, '-n', m[2]] : ['-c', cls];
}

export class IoPriority {
  private saved: string[] | undefined;
  private depth = 0;

  constructor(
    private readonly runner: CommandRunner,
    private readonly log: Logger,
    private readonly taskDir = '/proc/self/task',
  ) {}

  private async tids(): Promise<string[]> {
    return (await readdir(this.taskDir)).filter((t) => /^\d+$/.test(t));
  }

  /** Enter a flush (nested calls are counted). */
  async lower(): Promise<void> {
    if (this.depth++ > 0) return;
    try {
      const tids = await this.tids();
      this.saved ??= parseIoniceClass((await this.runner.run('ionice', ['-p', String(process.pid)], RUN)).stdout);
      await this.runner.run('ionice', ['-c', '3', '-p', ...tids], RUN);
    } catch (err) {
      this.log.debug({ err }, 'could not lower I/O priority');
    }
  }

  /** Leave a flush; the last one out restores the priority. */
  async restore(): Promise<void> {
    if (--this.depth > 0 || !this.saved) return;
    try {
      await this.runner.run('ionice', [...this.saved, '-p', ...(await this.tids())], RUN);
    } catch (err) {
      this.log.debug({ err }, 'could not restore I/O priority');
    }
  }
}
