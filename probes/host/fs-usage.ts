/**
 * Space figures of one file system as `df -kP` prints them, from statfs numbers (Node's
 * fs.statfs, or `stat -f` in a child process for mounts that may hang), plus the ZFS correction
 * systeminformation applied from `zfs list`. Pure.
 */
import type { MountInfoEntry } from './mounts.ts';

/** statfs(2) block counts, in units of `frsize` bytes. */
export interface StatFsBlocks {
  blocks: number;
  bfree: number;
  bavail: number;
  frsize: number;
}

/** One row as systeminformation's fsSize() returned it (the shape parseHostRaw reads). */
export interface FsSizeRow {
  fs: string;
  type: string;
  size: number;
  used: number;
  available: number;
  use: number;
  mount: string;
}

/** Bytes rounded up to whole KiB, as `df -k` prints them (and systeminformation multiplied back). */
const kibCeil = (blocks: number, frsize: number) => Math.ceil((blocks * frsize) / 1024) * 1024;

/**
 * The row df would print for a mount, or undefined where df prints none (zero blocks) or a value
 * systeminformation could not read back (unknown or negative figures).
 */
export function fsSizeRow(e: MountInfoEntry, s: StatFsBlocks, fsName = e.source): FsSizeRow | undefined {
  const nums = [s.blocks, s.bfree, s.bavail, s.frsize];
  if (!nums.every((n) => Number.isSafeInteger(n) && n >= 0)) return undefined;
  if (s.blocks === 0 || s.bfree > s.blocks) return undefined;
  const size = kibCeil(s.blocks, s.frsize);
  const used = kibCeil(s.blocks - s.bfree, s.frsize);
  const available = kibCeil(s.bavail, s.frsize);
  const use = used + available > 0 ? Number.parseFloat(((100 * used) / (used + available)).toFixed(2)) : Number.NaN;
  return { fs: fsName, type: e.fstype, size, used, available, use, mount: e.mountPoint };
}

/**
 * Output of `stat -f -c '%b %f %a %S %n' <paths>`: blocks, free, available, fundamental block
 * size and the path, one line per path that answered. Malformed lines are skipped.
 */
export function parseStatFsLines(stdout: string): Map<string, StatFsBlocks> {
  const out = new Map<string, StatFsBlocks>();
  for (const line of stdout.split('\n')) {
    const m = /^(\d+) (\d+) (\d+) (\d+) (.+)$/.exec(line);
    if (!m) continue;
    out.set(m[5]!, { blocks: Number(m[1]), bfree: Number(m[2]), bavail: Number(m[3]), frsize: Number(m[4]) });
  }
  return out;
}

/**
 * ZFS datasets share their pool, so df under-reports a parent whose data sits in child datasets:
 * replace used/available of each zfs row with `zfs list -H -p -o name,used,avail,mountpoint`'s
 * figures (by dataset name, else mount point), as systeminformation did.
 */
export function applyZfsList(rows: readonly FsSizeRow[], zfsList: string): FsSizeRow[] {
  const byName = new Map<string, { used: number; available: number }>();
  const byMount = new Map<string, { used: number; available: number }>();
  for (const line of zfsList.split('\n')) {
    const parts = line.split('\t');
    if (parts.length < 4) continue;
    const entry = { used: Number.parseInt(parts[1]!, 10), available: Number.parseInt(parts[2]!, 10) };
    if (Number.isNaN(entry.used) || Number.isNaN(entry.available)) continue;
    byName.set(parts[0]!, entry);
    const mount = parts[3]!.trim();
    if (mount.startsWith('/') && !byMount.has(mount)) byMount.set(mount, entry);
  }
  return rows.map((r) => {
    if (r.type !== 'zfs') return r;
    const d = byName.get(r.fs) ?? byMount.get(r.mount);
    if (!d || !(d.used + d.available)) return r;
    const size = d.used + d.available;
    return {
      ...r,
      used: d.used,
      available: d.available,
      size,
      use: Number.parseFloat(((100 * d.used) / size).toFixed(2)),
    };
  });
}
