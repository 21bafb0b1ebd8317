/**
 * The host-hw probe's only I/O: EDAC counters below the sys root, the boot id and mount table
 * below the proc root, statfs of `<dev>/shm` (tmpfs, never blocks), and, through the runner,
 * `stat -f` of each configured mount in a child process raced against a timer, so a hung
 * NFS/Lustre mount can never block the agent, plus `chronyc tracking` / `timedatectl show`.
 */
import { readdir, readFile, statfs } from 'node:fs/promises';
import path from 'node:path';
import { describeError, isKeelsonError } from '../../core/errors.ts';
import type { CommandRunner, RunOptions } from '../runner.ts';
import type { ProbeRoots } from '../types.ts';
import {
  type MountEntry,
  mountOf,
  parseChronyTracking,
  parseEdacCount,
  parseMounts,
  parseStatFsType,
  parseTimedatectlShow,
} from './parse.ts';
import type { ClockReading, EdacController, MountCheck } from './rules.ts';

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The EDAC memory controllers' counts, or undefined when the host has no EDAC (VMs, driver not loaded). */
export async function readEdac(roots: ProbeRoots): Promise<EdacController[] | undefined> {
  const dir = path.join(roots.sys, 'devices', 'system', 'edac', 'mc');
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /^mc\d+$/.test(n));
  } catch {
    return undefined;
  }
  names.sort((a, b) => Number(a.slice(2)) - Number(b.slice(2)));
  const out: EdacController[] = [];
  for (const mc of names) {
    const [ce, ue, name] = await Promise.all([
      readText(path.join(dir, mc, 'ce_count')),
      readText(path.join(dir, mc, 'ue_count')),
      readText(path.join(dir, mc, 'mc_name')),
    ]);
    if (ce === undefined || ue === undefined) continue;
    const c: EdacController = { mc, ce: parseEdacCount(ce), ue: parseEdacCount(ue) };
    if (name?.trim()) c.name = name.trim();
    out.push(c);
  }
  return out.length > 0 ? out : undefined;
}

/** The kernel's boot id (so counters are known to have restarted after a reboot). */
export async function readBootId(roots: ProbeRoots): Promise<string | undefined> {
  return (await readText(path.join(roots.proc, 'sys', 'kernel', 'random', 'boot_id')))?.trim() || undefined;
}

/** Size of /dev/shm in bytes, or undefined when it cannot be read. */
export async function readShmBytes(roots: ProbeRoots): Promise<number | undefined> {
  try {
    const s = await statfs(path.join(roots.dev, 'shm'));
    return s.blocks * s.bsize;
  } catch {
    return undefined;
  }
}

/** What mount checks need. */
export interface MountCheckOptions {
  runner: CommandRunner;
  roots: ProbeRoots;
  mounts: readonly { path: string; fstype?: string }[];
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Extra wait past the runner's own timeout before giving up on a child that will not die (D state). */
const GRACE_MS = 1_000;

async function statInChild(o: MountCheckOptions, p: string): Promise<MountCheck> {
  const opts: RunOptions = { timeoutMs: o.timeoutMs, outputCapBytes: 4096 };
  if (o.signal) opts.signal = o.signal;
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<'guard'>((resolve) => {
    timer = setTimeout(() => resolve('guard'), o.timeoutMs + GRACE_MS);
  });
  try {
    const out = await Promise.race([o.runner.run('stat', ['-f', '-c', '%T', p], opts), guard]);
    if (out === 'guard') return { path: p, status: 'hung', waitedMs: o.timeoutMs + GRACE_MS };
    return { path: p, status: 'ok', fstype: parseStatFsType(out.stdout) };
  } catch (err) {
    if (isKeelsonError(err, 'CMD_TIMEOUT')) return { path: p, status: 'hung', waitedMs: o.timeoutMs };
    const why = describeError(err);
    if (/No such file or directory/i.test(why)) return { path: p, status: 'missing', why };
    return { path: p, status: 'error', why };
  } finally {
    clearTimeout(timer);
  }
}

function fstypeMatches(entry: MountEntry, want: string | undefined): boolean {
  return want === undefined || entry.fstype === want || entry.fstype.startsWith(want);
}

/** Check every configured mount: in the mount table (and of the right type), then answering statfs in a child process. */
export async function checkMounts(o: MountCheckOptions): Promise<MountCheck[]> {
  if (o.mounts.length === 0) return [];
  const text = await readText(path.join(o.roots.proc, 'mounts'));
  const table = text === undefined ? undefined : parseMounts(text);
  return Promise.all(
    o.mounts.map(async (m): Promise<MountCheck> => {
      // Without a readable mount table, the statfs in a child process is the only check.
      if (!table) return statInChild(o, m.path);
      const entry = mountOf(table, m.path);
      if (!entry || (entry.mountPoint === '/' && m.path !== '/')) {
        return {
          path: m.path,
          status: 'missing',
          why: `no mount at ${m.path} in the mount table (only the root file system)`,
        };
      }
      if (!fstypeMatches(entry, m.fstype)) {
        return {
          path: m.path,
          status: 'missing',
          why: `${entry.mountPoint} is ${entry.fstype} from ${entry.source}, expected ${m.fstype}`,
        };
      }
      return statInChild(o, m.path);
    }),
  );
}

/** chrony's view, else timedated's, else undefined when neither tool answers. */
export async function readClock(
  runner: CommandRunner,
  opts: Omit<RunOptions, 'okExitCodes'>,
): Promise<ClockReading | undefined> {
  try {
    const out = await runner.run('chronyc', ['tracking'], opts);
    return { source: 'chrony', tracking: parseChronyTracking(out.stdout) };
  } catch (err) {
    if (opts.signal?.aborted) throw err;
  }
  try {
    const out = await runner.run('timedatectl', ['show'], opts);
    return { source: 'timedatectl', show: parseTimedatectlShow(out.stdout) };
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    return undefined;
  }
}
