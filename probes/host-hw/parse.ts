/**
 * Pure parsers for host hardware extras: EDAC counter files, /proc/mounts, `stat -f -c %T`,
 * `chronyc tracking` and `timedatectl show`.
 */
import { KeelsonError } from '../../core/errors.ts';

/** Parse one EDAC counter file (`ce_count`, `ue_count`): a non-negative integer. */
export function parseEdacCount(text: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t))
    throw new KeelsonError('PARSE_FAILED', `EDAC count: expected a non-negative integer, got "${t.slice(0, 40)}"`);
  return Number(t);
}

/** One line of /proc/mounts. */
export interface MountEntry {
  source: string;
  mountPoint: string;
  fstype: string;
  options: string[];
}

/** Undo the octal escapes /proc/mounts uses for space, tab, newline and backslash. */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** Parse /proc/mounts (or /proc/self/mounts); lines that do not have the fields are skipped. */
export function parseMounts(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || !f[0] || !f[1]?.startsWith('/') || !f[2] || !f[3]) continue;
    out.push({ source: unescapeMount(f[0]), mountPoint: unescapeMount(f[1]), fstype: f[2], options: f[3].split(',') });
  }
  if (out.length === 0 && text.trim() !== '') {
    throw new KeelsonError('PARSE_FAILED', '/proc/mounts: no "source mountpoint fstype options" line');
  }
  return out;
}

/** The mount a path lives on: the entry with the longest mount point that contains it (later mounts win ties). */
export function mountOf(entries: readonly MountEntry[], p: string): MountEntry | undefined {
  const target = p.length > 1 ? p.replace(/\/+$/, '') : p;
  let best: MountEntry | undefined;
  for (const e of entries) {
    const mp = e.mountPoint;
    const inside = mp === '/' || target === mp || target.startsWith(`${mp}/`);
    if (inside && (!best || mp.length >= best.mountPoint.length)) best = e;
  }
  return best;
}

/** Parse `stat -f -c %T <path>`: the file system type name (e.g. `nfs`, `lustre`, `ext2/ext3`, `UNKNOWN (0x...)`). */
export function parseStatFsType(text: string): string {
  const t = text.trim();
  if (t === '' || t.includes('\n'))
    throw new KeelsonError('PARSE_FAILED', `stat -f -c %T: expected one line, got "${t.slice(0, 80)}"`);
  return t;
}

/** What chronyd says about synchronisation. */
export interface ChronyTracking {
  referenceId?: string;
  stratum?: number;
  /** Local clock minus true time, seconds (positive = local clock fast). */
  offsetSec?: number;
  leapStatus: string;
  synchronised: boolean;
}

/** Parse `chronyc tracking`. */
export function parseChronyTracking(text: string): ChronyTracking {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.length > 300) continue;
    const m = /^([A-Za-z][A-Za-z ()]*?)\s*:\s*(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) fields.set(m[1].toLowerCase(), m[2].trim());
  }
  const leap = fields.get('leap status');
  if (leap === undefined) throw new KeelsonError('PARSE_FAILED', 'chronyc tracking: no "Leap status" line');
  const out: ChronyTracking = { leapStatus: leap, synchronised: !/not synchronised/i.test(leap) };
  const ref = fields.get('reference id');
  if (ref) out.referenceId = ref;
  const stratum = Number(fields.get('stratum'));
  if (fields.has('stratum') && Number.isInteger(stratum)) out.stratum = stratum;
  const sys = /^([+-]?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s+seconds\s+(fast|slow)/i.exec(fields.get('system time') ?? '');
  if (sys?.[1] && sys[2]) {
    const v = Math.abs(Number(sys[1]));
    if (Number.isFinite(v)) out.offsetSec = sys[2].toLowerCase() === 'fast' ? v : -v;
  }
  return out;
}

/** What systemd-timedated says. */
export interface TimedatectlShow {
  ntpSynchronized: boolean;
  ntpEnabled?: boolean;
}

/** Parse `timedatectl show` (KEY=value lines). */
export function parseTimedatectlShow(text: string): TimedatectlShow {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  const synced = kv.get('NTPSynchronized');
  if (synced !== 'yes' && synced !== 'no') {
    throw new KeelsonError('PARSE_FAILED', 'timedatectl show: no NTPSynchronized=yes|no line');
  }
  const out: TimedatectlShow = { ntpSynchronized: synced === 'yes' };
  const ntp = kv.get('NTP');
  if (ntp === 'yes' || ntp === 'no') out.ntpEnabled = ntp === 'yes';
  return out;
}
