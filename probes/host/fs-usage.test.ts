import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyZfsList, type FsSizeRow, fsSizeRow, parseStatFsLines } from './fs-usage.ts';
import type { MountInfoEntry } from './mounts.ts';

const root: MountInfoEntry = { dev: '254:0', root: '/', mountPoint: '/', fstype: 'ext4', source: '/dev/vda' };

describe('fsSizeRow', () => {
  it('gives df -kP figures in bytes: used = blocks - free, available = bavail', () => {
    const row = fsSizeRow(root, { blocks: 66053021, bfree: 59763254, bavail: 20307961, frsize: 4096 });
    expect(row).toEqual({
      fs: '/dev/vda',
      type: 'ext4',
      size: 66053021 * 4096,
      used: (66053021 - 59763254) * 4096,
      available: 20307961 * 4096,
      use: 23.65,
      mount: '/',
    });
  });

  it('rounds up to whole KiB like df -k', () => {
    expect(fsSizeRow(root, { blocks: 3, bfree: 1, bavail: 1, frsize: 512 })).toMatchObject({
      size: 2048,
      used: 1024,
      available: 1024,
    });
  });

  it('lists nothing df would not print: zero blocks, free beyond total, unknown values', () => {
    expect(fsSizeRow(root, { blocks: 0, bfree: 0, bavail: 0, frsize: 4096 })).toBeUndefined();
    expect(fsSizeRow(root, { blocks: 10, bfree: 11, bavail: 11, frsize: 4096 })).toBeUndefined();
    expect(fsSizeRow(root, { blocks: 2 ** 64, bfree: 1, bavail: 1, frsize: 4096 })).toBeUndefined();
  });

  it('never reports negative figures or used + available above size', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.constantFrom(512, 1024, 4096, 65536),
        (blocks, bfree, bavail, frsize) => {
          const r = fsSizeRow(root, { blocks, bfree, bavail: Math.min(bavail, bfree), frsize });
          if (!r) return;
          expect(r.used).toBeGreaterThanOrEqual(0);
          expect(r.used + r.available).toBeLessThanOrEqual(r.size + 1024);
        },
      ),
    );
  });
});

describe('parseStatFsLines', () => {
  it('reads stat -f output, paths with spaces included, skipping error lines', () => {
    const m = parseStatFsLines(
      '262144 131072 120000 4096 /home\nstat: cannot read file system information\n10 5 5 1048576 /mnt/my data\n',
    );
    expect(m.get('/home')).toEqual({ blocks: 262144, bfree: 131072, bavail: 120000, frsize: 4096 });
    expect(m.get('/mnt/my data')?.frsize).toBe(1048576);
    expect(m.size).toBe(2);
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string(), (s) => void parseStatFsLines(s)));
  });
});

describe('applyZfsList', () => {
  const rows: FsSizeRow[] = [
    { fs: 'rpool/ROOT/ubuntu', type: 'zfs', size: 100, used: 10, available: 90, use: 10, mount: '/' },
    { fs: 'rpool/data', type: 'zfs', size: 100, used: 1, available: 99, use: 1, mount: '/data' },
    { fs: '/dev/sda1', type: 'ext4', size: 50, used: 5, available: 45, use: 10, mount: '/boot' },
  ];

  it('replaces zfs usage by dataset name, else by mount point, and leaves other rows alone', () => {
    const out = applyZfsList(rows, 'rpool/ROOT/ubuntu\t200\t300\t/\nother\t700\t300\t/data\nbad line\n');
    expect(out[0]).toMatchObject({ used: 200, available: 300, size: 500, use: 40 });
    expect(out[1]).toMatchObject({ used: 700, available: 300, size: 1000 });
    expect(out[2]).toBe(rows[2]);
  });

  it('never touches non-zfs rows whatever zfs list printed', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(applyZfsList(rows, s)[2]).toBe(rows[2]);
      }),
    );
  });
});
