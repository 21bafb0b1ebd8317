/**
 * CPU time and memory of a process and its descendants from /proc: the pure parsers of
 * /proc/<pid>/stat and /proc/<pid>/status, and a sampler that sums a process tree.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat times (USER_HZ, 100 on every Linux we run on). */
export const CLOCK_TICKS = 100;

export interface StatFields {
  pid: number;
  ppid: number;
  /** utime + stime of the process itself, in ticks. */
  ownTicks: number;
  /** stime alone: time in the kernel on its behalf, in ticks. */
  systemTicks: number;
  /** cutime + cstime: children it has already reaped, in ticks. */
  reapedChildTicks: number;
}

/** Parse /proc/<pid>/stat. The command name may hold spaces and parentheses: split after the last `)`. */
export function parseProcStat(text: string): StatFields {
  const close = text.lastIndexOf(')');
  const pid = Number.parseInt(text, 10);
  if (close < 0 || !Number.isInteger(pid)) throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 80)}`);
  // fields after ")" start at field 3 (state); utime is field 14, stime 15, cutime 16, cstime 17.
  const f = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const at = (field: number) => Number(f[field - 3]);
  const out = { pid, ppid: at(4), ownTicks: at(14) + at(15), systemTicks: at(15), reapedChildTicks: at(16) + at(17) };
  if (![out.ppid, out.ownTicks, out.systemTicks, out.reapedChildTicks].every(Number.isFinite)) {
    throw new Error(`malformed /proc/<pid>/stat: ${text.slice(0, 80)}`);
  }
  return out;
}

/** A `kB` line of /proc/<pid>/status (VmRSS, VmHWM, ...) in bytes, or undefined. */
export function statusKiB(text: string, key: string): number | undefined {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

function readStat(pid: number): StatFields | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every live descendant of `root` (scans /proc once). */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
  }
  const out: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length) {
    const pid = queue.shift() as number;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * CPU seconds used so far by `pid` and everything it started: its own time, children it
 * reaped (cutime/cstime), and descendants still running.
 */
export function treeCpuSeconds(pid: number): number {
  const self = readStat(pid);
  if (!self) throw new Error(`process ${pid} is gone`);
  let ticks = self.ownTicks + self.reapedChildTicks;
  for (const d of descendants(pid)) {
    const s = readStat(d);
    if (s) ticks += s.ownTicks + s.reapedChildTicks;
  }
  return ticks / CLOCK_TICKS;
}

/** Resident memory of one process now and at its peak (VmRSS, VmHWM), in bytes. */
export function residentBytes(pid: number): { rss: number; peak: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rss: statusKiB(text, 'VmRSS') ?? 0, peak: statusKiB(text, 'VmHWM') ?? 0 };
}

/** The command name of a /proc/<pid>/stat line (between the first `(` and the last `)`). */
export function statComm(text: string): string {
  return text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
}

/**
 * CPU seconds each thread of `pid` has run (utime + stime of /proc/<pid>/task/<tid>/stat), summed
 * by thread: "node (main)", then "node+<tid - pid>" for the others.
 */
export function threadCpuSeconds(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  const add = (k: string, v: number) => out.set(k, (out.get(k) ?? 0) + v);
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // Node names every thread "node": key the others by their tid's offset from the main
      // thread (V8's platform workers start first, libuv's pool when first used).
      const name = tid === String(pid) ? `${statComm(text)} (main)` : `${statComm(text)}+${Number(tid) - pid}`;
      const st = parseProcStat(text);
      add(name, st.ownTicks / CLOCK_TICKS);
      if (tid === String(pid)) add(`${name} in kernel`, st.systemTicks / CLOCK_TICKS);
    } catch {
      // the thread ended between readdir and read
    }
  }
  return out;
}
