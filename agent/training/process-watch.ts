/**
 * Watches a job's rank processes: given PIDs or a command-line pattern, it reads /proc (below
 * an injected root) to find them, and reports each exit once with its code when it can be
 * known (our own children; a zombie's wait status in /proc/<pid>/stat), plus the last lines
 * of the job's output files and their diagnosis.
 */
import type { ChildProcess } from 'node:child_process';
import { open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../../core/clock.ts';
import type { RankExit } from './detectors/exit.ts';
import { type Diagnosis, DiagnosisMatcher, primaryDiagnosis } from './diagnosis/match.ts';

export interface ProcessTarget {
  job: string;
  pids?: number[];
  /** Regular expression over the command line (arguments joined by spaces). */
  pattern?: string;
  /** Files the ranks write their stdout/stderr to. */
  outputFiles?: string[];
}

/** A rank that ended, with what its output says. */
export interface ProcessExitEvent {
  exit: RankExit;
  lastLines: string[];
  diagnosis?: Diagnosis;
}

interface Tracked {
  job: string;
  pid: number;
  startTime: string;
  rank?: number;
  cmd: string;
  /** Wait status seen while a zombie. */
  status?: { exitCode: number | null; signal?: string };
  child?: boolean;
}

export interface ProcessWatchOptions {
  procRoot: string;
  clock: Clock;
  targets: ProcessTarget[];
  /** Lines of output kept for a report. */
  tailLines?: number;
  /** Bytes read from the end of each output file. */
  tailBytes?: number;
  /** Never match these pids (the agent itself). */
  excludePids?: number[];
}

/** Fields of /proc/<pid>/stat after the command name: state, start time, wait status (zombies). */
export function parseProcStat(text: string): { state: string; startTime: string; exitStatus?: number } | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const state = f[0];
  const startTime = f[19];
  if (!state || !startTime) return undefined;
  const raw = f[49];
  const out: { state: string; startTime: string; exitStatus?: number } = { state, startTime };
  if (raw !== undefined && /^\d+$/.test(raw)) out.exitStatus = Number(raw);
  return out;
}

/** A waitpid status as an exit code or a signal. */
export function decodeWaitStatus(status: number): { exitCode: number | null; signal?: string } {
  const sig = status & 0x7f;
  if (sig === 0) return { exitCode: (status >> 8) & 0xff };
  return { exitCode: -sig, signal: `signal ${sig}` };
}

const ERROR_LINE_RE = /error|exception|traceback|fatal|failed|killed|abort|timed? ?out|NCCL WARN/i;
const RANK_ENV_RE = /(?:^|\0)(?:RANK|SLURM_PROCID|OMPI_COMM_WORLD_RANK|PMI_RANK)=(\d+)(?:\0|$)/;

/** The last `maxBytes` of a file as lines (the first, partial one dropped); [] when unreadable. */
export async function readTailLines(file: string, maxBytes: number): Promise<string[]> {
  try {
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      const start = Math.max(0, size - maxBytes);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      const lines = buf.toString('utf8').split(/\r?\n/);
      if (start > 0) lines.shift();
      while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
      return lines;
    } finally {
      await fh.close();
    }
  } catch {
    return [];
  }
}

export class ProcessWatch {
  private readonly tracked = new Map<number, Tracked>();
  private readonly childExits: ProcessExitEvent[] = [];
  private readonly patterns: { target: ProcessTarget; re: RegExp }[];

  constructor(private readonly o: ProcessWatchOptions) {
    this.patterns = o.targets.filter((t) => t.pattern).map((t) => ({ target: t, re: new RegExp(t.pattern ?? '') }));
  }

  /** Track a process we started ourselves: its exit code is exact. */
  trackChild(job: string, child: ChildProcess, rank?: number): void {
    const pid = child.pid;
    if (pid === undefined) return;
    this.tracked.set(pid, {
      job,
      pid,
      startTime: 'child',
      cmd: child.spawnfile,
      child: true,
      ...(rank !== undefined ? { rank } : {}),
    });
    child.once('exit', (code, signal) => {
      this.tracked.delete(pid);
      const exit: RankExit = {
        job,
        pid,
        exitCode: code ?? null,
        at: this.o.clock.now(),
        ...(rank !== undefined ? { rank } : {}),
      };
      if (signal) exit.signal = signal;
      void this.withOutput(exit).then((e) => this.childExits.push(e));
    });
  }

  /** The processes currently watched. */
  processes(): { job: string; pid: number; rank?: number; cmd: string }[] {
    return [...this.tracked.values()].map(({ job, pid, rank, cmd }) => ({
      job,
      pid,
      cmd,
      ...(rank !== undefined ? { rank } : {}),
    }));
  }

  /** Scan /proc: pick up new matching processes, report the ones that ended. */
  async poll(now: number): Promise<ProcessExitEvent[]> {
    const events = this.childExits.splice(0);
    const pids = new Set<number>();
    for (const t of this.o.targets) for (const p of t.pids ?? []) pids.add(p);
    if (this.patterns.length > 0) {
      for (const name of await readdir(this.o.procRoot).catch(() => [] as string[])) {
        if (/^\d+$/.test(name)) pids.add(Number(name));
      }
    }
    for (const pid of pids) {
      if (this.tracked.has(pid) || this.o.excludePids?.includes(pid)) continue;
      const target = this.o.targets.find((t) => t.pids?.includes(pid));
      const cmd = await this.cmdline(pid);
      if (cmd === undefined) continue;
      const job = target?.job ?? this.patterns.find((p) => p.re.test(cmd))?.target.job;
      if (job === undefined) continue;
      const st = parseProcStat(await readFile(this.procPath(pid, 'stat'), 'utf8').catch(() => ''));
      if (!st) continue;
      const rank = await this.rankOf(pid);
      this.tracked.set(pid, { job, pid, startTime: st.startTime, cmd, ...(rank !== undefined ? { rank } : {}) });
    }
    for (const t of [...this.tracked.values()]) {
      if (t.child) continue;
      const st = parseProcStat(await readFile(this.procPath(t.pid, 'stat'), 'utf8').catch(() => ''));
      const gone = !st || st.startTime !== t.startTime;
      if (st && !gone && st.state === 'Z' && st.exitStatus !== undefined) t.status = decodeWaitStatus(st.exitStatus);
      if (!gone && st?.state !== 'Z' && st?.state !== 'X') continue;
      this.tracked.delete(t.pid);
      const exit: RankExit = { job: t.job, pid: t.pid, exitCode: t.status?.exitCode ?? null, at: now };
      if (t.rank !== undefined) exit.rank = t.rank;
      if (t.status?.signal) exit.signal = t.status.signal;
      events.push(await this.withOutput(exit));
    }
    return events;
  }

  private procPath(pid: number, file: string): string {
    return path.join(this.o.procRoot, String(pid), file);
  }

  private async cmdline(pid: number): Promise<string | undefined> {
    try {
      const raw = await readFile(this.procPath(pid, 'cmdline'), 'utf8');
      return raw.replace(/\0+$/, '').replace(/\0/g, ' ');
    } catch {
      return undefined;
    }
  }

  private async rankOf(pid: number): Promise<number | undefined> {
    const env = await readFile(this.procPath(pid, 'environ'), 'utf8').catch(() => '');
    const m = RANK_ENV_RE.exec(env);
    return m ? Number(m[1]) : undefined;
  }

  private async withOutput(exit: RankExit): Promise<ProcessExitEvent> {
    const target = this.o.targets.find((t) => t.job === exit.job);
    const matcher = new DiagnosisMatcher();
    const lines: string[] = [];
    for (const f of target?.outputFiles ?? []) {
      for (const l of await readTailLines(f, this.o.tailBytes ?? 256 * 1024)) {
        matcher.push(l);
        lines.push(l);
      }
    }
    const diagnosis = primaryDiagnosis(matcher.diagnoses());
    const n = this.o.tailLines ?? 20;
    const errors = lines.filter((l) => ERROR_LINE_RE.test(l));
    const ev: ProcessExitEvent = { exit, lastLines: (errors.length > 0 ? errors : lines).slice(-n) };
    if (diagnosis) ev.diagnosis = diagnosis;
    return ev;
  }
}
