/**
 * Which mounted file systems the host probe reports: /proc/self/mountinfo filtered the way
 * `df -kPTx squashfs` (GNU coreutils) chooses its rows, then the way systeminformation's fsSize()
 * kept df's rows, so the list is the one the probe reported when it shelled out to df. Pure.
 */

/** One line of /proc/self/mountinfo. */
export interface MountInfoEntry {
  /** major:minor of the mounted file system (what stat() of the mount point reports as st_dev). */
  dev: string;
  /** The directory of the file system mounted here (`/` unless a bind mount of a subtree). */
  root: string;
  mountPoint: string;
  fstype: string;
  /** The mount source (device, `server:/export`, or a name like `tmpfs`). */
  source: string;
}

/** Undo the kernel's octal escapes (`\040` space, `\011` tab, `\012` newline, `\134` backslash). */
export function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

/** Parse /proc/self/mountinfo; lines that do not have its shape are skipped. */
export function parseMountinfo(text: string): MountInfoEntry[] {
  const out: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const post = line.slice(sep + 3).split(' ');
    const [, , dev, root, mountPoint] = pre;
    const [fstype, source] = post;
    if (!dev || !/^\d+:\d+$/.test(dev) || !root || !mountPoint || !fstype || source === undefined) continue;
    out.push({
      dev,
      root: unescapeMountField(root),
      mountPoint: unescapeMountField(mountPoint),
      fstype: unescapeMountField(fstype),
      source: unescapeMountField(source),
    });
  }
  return out;
}

/** gnulib's ME_DUMMY: pseudo file systems df leaves out (they have no space to report). */
const DUMMY_TYPES = new Set([
  'autofs',
  'proc',
  'subfs',
  'debugfs',
  'devpts',
  'fusectl',
  'fuse.portal',
  'mqueue',
  'rpc_pipefs',
  'sysfs',
  'devfs',
  'kernfs',
  'ignore',
  'none',
]);

/** gnulib's ME_REMOTE types: network file systems df treats as remote. */
const REMOTE_TYPES = new Set(['acfs', 'afs', 'coda', 'auristorfs', 'fhgfs', 'gpfs', 'ibrix', 'ocfs2', 'vxfs']);

/** Network and user-space file systems whose statfs can hang when a server or daemon stops answering. */
const HANG_PRONE_TYPES = new Set([
  'nfs',
  'nfs4',
  'lustre',
  'beegfs',
  'ceph',
  'glusterfs',
  'cifs',
  'smb3',
  'smbfs',
  '9p',
  'fuse',
  'pvfs2',
  'orangefs',
  'weka',
  'wekafs',
]);

/** df's notion of a remote file system (gnulib ME_REMOTE). */
export function isRemote(e: MountInfoEntry): boolean {
  return (
    e.source.includes(':') ||
    (e.source.startsWith('//') && ['smbfs', 'smb3', 'cifs'].includes(e.fstype)) ||
    REMOTE_TYPES.has(e.fstype) ||
    e.source === '-hosts'
  );
}

/**
 * True where statfs may block for as long as a server is gone (remote or FUSE): such mounts are
 * measured in a child process with a timeout, never on the agent's own threads.
 */
export function mayHang(e: MountInfoEntry): boolean {
  return isRemote(e) || HANG_PRONE_TYPES.has(e.fstype) || e.fstype.startsWith('fuse.');
}

/**
 * The mounts `df -kPTx <excluded>` lists (before it drops the ones whose statfs fails or reports
 * zero blocks): no pseudo file systems, no excluded types, absolute mount points, and one row per
 * device, chosen by coreutils' rules (a real `/dev` source wins over a name, then the mount point
 * nearer the root, then an over-mount of the same directory). `dev` of a mount point is the device
 * of the last mount on that directory, as stat() would see it.
 */
export function dfMounts(
  entries: readonly MountInfoEntry[],
  excludedTypes: readonly string[] = ['squashfs'],
): MountInfoEntry[] {
  const visibleDev = new Map<string, string>();
  for (const e of entries) visibleDev.set(e.mountPoint, e.dev);
  const kept: (MountInfoEntry | undefined)[] = [];
  const slotOfDev = new Map<string, number>();
  for (const me of entries) {
    if (DUMMY_TYPES.has(me.fstype) || excludedTypes.includes(me.fstype) || !me.mountPoint.startsWith('/')) continue;
    const dev = visibleDev.get(me.mountPoint) ?? me.dev;
    const slot = slotOfDev.get(dev);
    const seen = slot === undefined ? undefined : kept[slot];
    if (slot === undefined || !seen) {
      slotOfDev.set(dev, kept.length);
      kept.push(me);
      continue;
    }
    const bothRemoteElsewhere = isRemote(me) && isRemote(seen) && me.source !== seen.source;
    if (bothRemoteElsewhere) {
      kept.push(me); // not indexed: the first row stays the one later rows are compared with
      continue;
    }
    const targetNearerRoot = seen.mountPoint.length > me.mountPoint.length;
    const sourceBelowRoot = seen.root.length < me.root.length;
    const replaces =
      (me.source.includes('/') && !seen.source.includes('/')) ||
      (targetNearerRoot && !sourceBelowRoot) ||
      (me.source !== seen.source && me.mountPoint === seen.mountPoint);
    if (replaces) kept[slot] = me;
  }
  return kept.filter((e): e is MountInfoEntry => e !== undefined);
}

const TMPFS_LIKE = [
  'rootfs',
  'unionfs',
  'squashfs',
  'cramfs',
  'initrd',
  'initramfs',
  'devtmpfs',
  'tmpfs',
  'udev',
  'devfs',
  'specfs',
  'type',
  'appimaged',
];

/**
 * systeminformation's filter of df's rows: memory-backed file systems are dropped unless the
 * source looks like a path (or the mount is `/`).
 */
export function keptBySystemInformation(source: string, fstype: string, mountPoint: string): boolean {
  const tmpLike = TMPFS_LIKE.some((t) => fstype.toLowerCase().includes(t));
  return (
    source.startsWith('/') || mountPoint === '/' || source.indexOf('/') > 0 || source.indexOf(':') === 1 || !tmpLike
  );
}

/** A 36-character UUID at the end of a device name (df resolves such symlinks to the real device). */
export function hasUuidSuffix(s: string): boolean {
  return s.length > 36 && /^[-0-9a-fA-F]{36}$/.test(s.slice(-36));
}
