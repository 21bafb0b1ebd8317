/** Tests of the rdma sysfs reader: synchronous reads, unreadable files, and yielding between ports. */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { h100Node, writeSysfs } from '../../test/fixtures/rdma/sysfs-gen.ts';
import { infinibandDevices, readInfinibandDir } from './read.ts';
import { TimeSlicer } from './slicer.ts';
import { recordsFromTree } from './sysfs.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'keelson-rdma-read-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('readInfinibandDir', () => {
  it('reads every port of every device, and lets the event loop run before each port', async () => {
    const base = await writeSysfs(join(root, 'sys'), h100Node({ mgmt: 'up' }));
    let turns = 0;
    let on = true;
    const spin = () => {
      turns++;
      if (on) setImmediate(spin);
    };
    setImmediate(spin);
    const tree = await readInfinibandDir(base);
    on = false;
    const recs = recordsFromTree(tree);
    expect(recs.map((r) => r.device)).toEqual([...Array.from({ length: 9 }, (_, i) => `mlx5_${i}`)]);
    expect(recs[0]?.state).toBe('ACTIVE');
    expect(recs[8]?.netdev).toBe('eno8np0');
    // 9 devices + 9 ports: the loop turned at least once per device and per port.
    expect(turns).toBeGreaterThanOrEqual(18);
    expect(await infinibandDevices(join(root, 'sys'))).toHaveLength(9);
  });

  it('records an unreadable counter as empty (undefined value) and leaves a missing file absent', async () => {
    const base = await writeSysfs(join(root, 'sys'), h100Node());
    const port = join(base, 'mlx5_0', 'ports', '1');
    await rm(join(port, 'counters', 'symbol_error'));
    await mkdir(join(port, 'counters', 'symbol_error')); // a directory cannot be read as a file: EISDIR
    await rm(join(port, 'rate'));
    const tree = await readInfinibandDir(base);
    expect(tree.files.get('mlx5_0/ports/1/counters/symbol_error')).toBe('');
    expect(tree.files.has('mlx5_0/ports/1/rate')).toBe(false);
    const rec = recordsFromTree(tree)[0];
    expect(rec?.counters).toHaveProperty('symbol_error', undefined);
    expect(rec?.rateGbps).toBeUndefined();
    expect(rec?.state).toBe('ACTIVE');
  });

  it('yields inside a port when the slice budget is used up', async () => {
    const base = await writeSysfs(join(root, 'sys'), h100Node().slice(0, 1));
    let t = 0;
    const slicer = new TimeSlicer(1, {
      now: () => (t += 0.5),
      yieldToLoop: async () => {},
    });
    const tree = await readInfinibandDir(base, undefined, slicer);
    // one device + one port yield, plus budget yields across ~40 counter files.
    expect(slicer.yieldCount).toBeGreaterThan(10);
    expect(recordsFromTree(tree)).toHaveLength(1);
  });

  it('stops with the abort reason once the signal is aborted', async () => {
    const base = await writeSysfs(join(root, 'sys'), h100Node());
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(readInfinibandDir(base, ac.signal)).rejects.toThrow('stop');
  });
});
