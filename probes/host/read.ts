/**
 * The host probe's only I/O, without spawning anything on a plain host: /proc/meminfo,
 * /proc/stat (CPU count), os.loadavg(), /proc/self/mountinfo and an asynchronous fs.statfs of
 * each local file system — the figures systeminformation's mem() and fsSize() gave, which cost a
 * synchronous `cat /proc/mounts` and a `sh -c df` on every run. Mounts whose statfs may hang
 * (NFS, Lustre, FUSE...) are measured by one `stat -f` child process with a timeout, so a dead
 * server can never tie up the agent's threads; `zfs list` runs only where a zfs mount is listed.
 */
import { readFile, realpath, statfs } from 'node:fs/promises';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import type { CommandRunner } from '../runner.ts';
import { applyZfsList, type FsSizeRow, fsSizeRow, parseStatFsLines, type StatFsBlocks } from './fs-usage.ts';
import { countProcStatCpus, parseMeminfo } from './meminfo.ts';
import {
  dfMounts,
  hasUuidSuffix,
  keptBySystemInformation,
  type MountInfoEntry,
  mayHang,
  parseMountinfo,
} from './mounts.ts';
import type { HostRaw } from './parse.ts';

/** What one reading needs. */
export interface HostReadOptions {
  runner: CommandRunner;
  /** How long the `stat -f` of possibly hanging mounts (and `zfs list`) may take, ms. */
  commandTimeoutMs: number;
  signal?: AbortSignal;
  /** The proc root to read; the host's own /proc (the probe reports the machine it runs on). */
  procRoot?: string;
}

const ZFS_TIMEOUT_MS = 5_000;

async function localStatFs(path: string): Promise<StatFsBlocks | undefined> {
  try {
    const s = await statfs(path);
    return { blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, frsize: s.bsize };
  } catch {
    return undefined; // like df: a mount point that cannot be read is left out
  }
}

/** statfs of mounts that may hang, in one child process; its timeout fails the run (CMD_TIMEOUT). */
async function childStatFs(o: HostReadOptions, paths: readonly string[]): Promise<Map<string, StatFsBlocks>> {
  const usable = paths.filter((p) => !p.includes('\n'));
  if (usable.length === 0) return new Map();
  const out = await o.runner.run('stat', ['-f', '-c', '%b %f %a %S %n', '--', ...usable], {
    timeoutMs: o.commandTimeoutMs,
    outputCapBytes: 64 * 1024 + usable.length * 256,
    okExitCodes: [0, 1], // 1: some path did not answer statfs; the others are still printed
    ...(o.signal ? { signal: o.signal } : {}),
  });
  return parseStatFsLines(out.stdout);
}

async function deviceName(e: MountInfoEntry): Promise<string> {
  if (!e.source.startsWith('/') || !hasUuidSuffix(e.source)) return e.source;
  try {
    return await realpath(e.source);
  } catch {
    return e.source;
  }
}

/** The rows `df -kPTx squashfs` printed and systeminformation kept, in mount order. */
export async function readFilesystems(o: HostReadOptions, mountinfo: string): Promise<FsSizeRow[]> {
  const entries = dfMounts(parseMountinfo(mountinfo)).filter((e) =>
    keptBySystemInformation(e.source, e.fstype, e.mountPoint),
  );
  const hanging = entries.filter(mayHang);
  const [local, remote, names] = await Promise.all([
    Promise.all(entries.map((e) => (mayHang(e) ? undefined : localStatFs(e.mountPoint)))),
    childStatFs(
      o,
      hanging.map((e) => e.mountPoint),
    ),
    Promise.all(entries.map(deviceName)),
  ]);
  const rows: FsSizeRow[] = [];
  entries.forEach((e, i) => {
    const s = mayHang(e) ? remote.get(e.mountPoint) : local[i];
    const row = s && fsSizeRow(e, s, names[i]);
    if (row && !rows.some((r) => r.fs === row.fs && r.type === row.type && r.mount === row.mount)) rows.push(row);
  });
  if (!rows.some((r) => r.type === 'zfs')) return rows;
  try {
    const zfs = await o.runner.run('zfs', ['list', '-H', '-p', '-o', 'name,used,avail,mountpoint'], {
      timeoutMs: Math.min(ZFS_TIMEOUT_MS, o.commandTimeoutMs),
      outputCapBytes: 1024 * 1024,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    return applyZfsList(rows, zfs.stdout);
  } catch {
    return rows; // a partial or failed listing corrects nothing, as before
  }
}

const readText = (file: string) => readFile(file, 'utf8').catch(() => undefined);

/**
 * One reading of the host. Without a /proc (not Linux) memory and CPUs come from `os` and no
 * file systems are listed, so the probe still runs.
 */
export async function readHost(o: HostReadOptions): Promise<HostRaw> {
  const proc = o.procRoot ?? '/proc';
  const [meminfo, stat, mountinfo] = await Promise.all([
    readText(join(proc, 'meminfo')),
    readText(join(proc, 'stat')),
    readText(join(proc, 'self', 'mountinfo')),
  ]);
  return {
    mem:
      meminfo === undefined
        ? { total: totalmem(), available: freemem(), swaptotal: 0, swapused: 0 }
        : parseMeminfo(meminfo),
    fsSize: mountinfo === undefined ? [] : await readFilesystems(o, mountinfo),
    loadavg: loadavg(),
    cpus: stat === undefined ? cpus().length : countProcStatCpus(stat),
  };
}
