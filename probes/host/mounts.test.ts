import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  dfMounts,
  hasUuidSuffix,
  isRemote,
  keptBySystemInformation,
  type MountInfoEntry,
  mayHang,
  parseMountinfo,
  unescapeMountField,
} from './mounts.ts';

/** A GPU host's mountinfo: pseudo file systems, an over-mounted /dev/shm, a bind mount, NFS, Lustre, squashfs. */
const GPU_HOST = `22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
24 27 0:6 / /dev rw,relatime - devtmpfs udev rw,size=1056k
25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw
26 24 0:24 / /dev/pts rw,relatime - devpts devpts rw
27 1 259:2 / / rw,relatime - ext4 /dev/nvme0n1p2 rw
30 25 0:27 / /dev/shm rw,relatime - tmpfs tmpfs rw
31 27 259:5 / /local/ckpt rw,relatime - xfs /dev/md0 rw
32 27 259:5 /jobs /scratch/jobs rw,relatime - xfs /dev/md0 rw
33 27 0:50 / /home rw,relatime - nfs4 storage:/export/home rw
34 27 0:50 / /datasets rw,relatime - nfs4 storage:/export/datasets rw
35 27 0:51 / /lustre rw,relatime - lustre 10.1.0.1@o2ib:/fs1 rw
36 27 7:1 / /snap/core/1 ro,relatime - squashfs /dev/loop1 ro
37 27 0:52 / /run/user/1000 rw - tmpfs tmpfs rw
38 27 0:53 / /mnt/my\\040data rw - ext4 /dev/sdb1 rw
39 23 0:54 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw
`;

const byMount = (es: MountInfoEntry[]) => es.map((e) => e.mountPoint);

describe('parseMountinfo', () => {
  it('reads device, root, mount point, type and source, unescaping octal escapes', () => {
    const es = parseMountinfo(GPU_HOST);
    expect(es).toHaveLength(16);
    expect(es[11]).toEqual({
      dev: '0:51',
      root: '/',
      mountPoint: '/lustre',
      fstype: 'lustre',
      source: '10.1.0.1@o2ib:/fs1',
    });
    expect(es[14]?.mountPoint).toBe('/mnt/my data');
    expect(es[8]?.root).toBe('/jobs');
  });

  it('reads optional fields before the separator', () => {
    const [e] = parseMountinfo('27 1 8:1 / / rw,relatime shared:1 master:2 - ext4 /dev/sda1 rw,errors=remount-ro\n');
    expect(e).toMatchObject({ dev: '8:1', mountPoint: '/', fstype: 'ext4', source: '/dev/sda1' });
  });

  it('never throws and returns only well-formed entries on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('1', ':', ' ', '-', '/', 'a', '\n', '\\', '0') }), (text) => {
        for (const e of parseMountinfo(text)) {
          expect(e.dev).toMatch(/^\d+:\d+$/);
          expect(typeof e.source).toBe('string');
        }
      }),
    );
  });

  it('unescapes what the kernel escapes', () => {
    const kernelEscape = (s: string) =>
      s.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(unescapeMountField(kernelEscape(s))).toBe(s);
      }),
    );
  });
});

describe('dfMounts (the rows df -kPTx squashfs lists)', () => {
  it('drops pseudo and excluded types, keeps one /dev/shm and prefers / over its bind mount', () => {
    expect(byMount(dfMounts(parseMountinfo(GPU_HOST)))).toEqual([
      '/dev',
      '/dev/shm',
      '/',
      '/local/ckpt',
      '/home',
      '/datasets',
      '/lustre',
      '/run/user/1000',
      '/mnt/my data',
      '/sys/fs/cgroup',
    ]);
  });

  it('keeps the bind mount nearer the root of its source whichever comes first', () => {
    const bindFirst = `1 0 8:1 /sub /mnt/sub rw - ext4 /dev/sda1 rw
2 0 8:1 / /data rw - ext4 /dev/sda1 rw
`;
    expect(byMount(dfMounts(parseMountinfo(bindFirst)))).toEqual(['/data']);
  });

  it('lets a real device win over a named source on the same device', () => {
    const t = `1 0 0:40 / /a rw - tmpfs none-like rw
2 0 0:40 / /b rw - ext4 /dev/sdc rw
`;
    expect(dfMounts(parseMountinfo(t)).map((e) => e.source)).toEqual(['/dev/sdc']);
  });

  it('keeps NFS exports of one server that share a device, but not the same export twice', () => {
    const t = `1 0 0:50 / /a rw - nfs4 srv:/x rw
2 0 0:50 / /b rw - nfs4 srv:/y rw
3 0 0:50 / /ccc rw - nfs4 srv:/x rw
`;
    expect(byMount(dfMounts(parseMountinfo(t)))).toEqual(['/a', '/b']);
  });

  it('returns input rows, each once, with one row per device (remote exports aside)', () => {
    const entry = fc.record({
      dev: fc.constantFrom('8:1', '8:2', '0:50'),
      root: fc.constantFrom('/', '/sub', '/a/b'),
      mountPoint: fc.constantFrom('/', '/a', '/a/b', '/mnt', 'rel'),
      fstype: fc.constantFrom('ext4', 'tmpfs', 'nfs4', 'proc', 'squashfs'),
      source: fc.constantFrom('/dev/sda', 'tmpfs', 'srv:/x', 'srv:/y'),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 8 }), (es) => {
        const out = dfMounts(es);
        expect(new Set(out).size).toBe(out.length);
        for (const o of out) {
          expect(es).toContain(o);
          expect(['proc', 'squashfs']).not.toContain(o.fstype);
          expect(o.mountPoint.startsWith('/')).toBe(true);
        }
        const local = out.filter((o) => !isRemote(o));
        const visible = (o: MountInfoEntry) => es.filter((e) => e.mountPoint === o.mountPoint).at(-1)?.dev;
        expect(new Set(local.map(visible)).size).toBe(local.length);
      }),
    );
  });
});

describe('which mounts are measured where', () => {
  it('treats network and FUSE mounts as possibly hanging, local ones not', () => {
    const es = parseMountinfo(GPU_HOST);
    const hang = (m: string) => mayHang(es.find((e) => e.mountPoint === m)!);
    expect(['/home', '/lustre'].map(hang)).toEqual([true, true]);
    expect(['/', '/local/ckpt', '/dev/shm'].map(hang)).toEqual([false, false, false]);
    expect(mayHang({ dev: '0:9', root: '/', mountPoint: '/w', fstype: 'fuse.s3fs', source: 's3fs' })).toBe(true);
    expect(mayHang({ dev: '0:9', root: '/', mountPoint: '/g', fstype: 'gpfs', source: 'gpfs0' })).toBe(true);
  });

  it('drops memory-backed file systems the way systeminformation did', () => {
    expect(keptBySystemInformation('tmpfs', 'tmpfs', '/dev/shm')).toBe(false);
    expect(keptBySystemInformation('udev', 'devtmpfs', '/dev')).toBe(false);
    expect(keptBySystemInformation('/dev/sda1', 'ext4', '/')).toBe(true);
    expect(keptBySystemInformation('overlay', 'overlay', '/')).toBe(true);
    expect(keptBySystemInformation('storage:/export', 'nfs4', '/home')).toBe(true);
    expect(keptBySystemInformation('cgroup2', 'cgroup2', '/sys/fs/cgroup')).toBe(true);
  });

  it('recognises UUID-suffixed device names', () => {
    expect(hasUuidSuffix('/dev/mapper/luks-828fc648-9f30-43d8-a0b1-f7196a2edb66')).toBe(true);
    expect(hasUuidSuffix('/dev/nvme0n1p2')).toBe(false);
  });
});
