/**
 * The rdma probe's only I/O: copies the parts of `<sys>/class/infiniband` the rules need into a
 * FileTree (device facts, per-port state/rate/link layer, counters/*, hw_counters/*, the RoCE
 * netdev), reads the boot id, and runs `ethtool -S <netdev>` for RoCE ports through the
 * injected runner. Unreadable files are simply absent (their counters become undefined).
 *
 * sysfs attributes are tiny and never touch a disk, so they are read synchronously (one libuv
 * thread-pool round trip per file cost more CPU than the read itself); the reader yields to the
 * event loop before every port and whenever a slice passes its budget, so 16 HCAs × 2 ports never
 * hold the loop for more than a few ms at once.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isKeelsonError } from '../../core/errors.ts';
import type { ProbeContext, ProbeDefaults } from '../types.ts';
import { type IbPortRecord, parseEthtoolStats } from './parse.ts';
import { TimeSlicer } from './slicer.ts';
import { COUNTER_DIRS, DEVICE_FILES, PORT_FILES, recordsFromTree } from './sysfs.ts';
import { addDir, addFile, emptyTree, type FileTree } from './tree.ts';

/** Largest sysfs file read; sysfs attributes are one page. */
const MAX_FILE_BYTES = 64 * 1024;

function readText(path: string): string | undefined {
  try {
    const t = readFileSync(path, 'utf8');
    return t.length > MAX_FILE_BYTES ? t.slice(0, MAX_FILE_BYTES) : t;
  } catch {
    return undefined;
  }
}

function list(path: string): string[] {
  try {
    return readdirSync(path).sort();
  } catch {
    return [];
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Copy one port directory's files (state, phys_state, rate, link_layer, ndev, counters) into `tree`
 * under `prefix`. Reads synchronously; with a `slicer`, yields whenever its slice is used up.
 */
export async function readPortInto(
  tree: FileTree,
  dir: string,
  prefix: string,
  signal?: AbortSignal,
  slicer?: TimeSlicer,
): Promise<void> {
  signal?.throwIfAborted();
  const at = (f: string) => (prefix ? `${prefix}/${f}` : f);
  addDir(tree, prefix);
  for (const f of PORT_FILES) {
    const t = readText(join(dir, f));
    if (t !== undefined) addFile(tree, at(f), t);
  }
  for (const cdir of COUNTER_DIRS) {
    const names = list(join(dir, cdir));
    if (names.length > 0) addDir(tree, at(cdir));
    for (const n of names) {
      if (slicer?.due()) {
        await slicer.yield();
        signal?.throwIfAborted();
      }
      // Unreadable counters are recorded as empty, so they parse to undefined, not vanish.
      addFile(tree, at(`${cdir}/${n}`), readText(join(dir, cdir, n)) ?? '');
    }
  }
}

/** Copy a `class/infiniband` directory (device dirs at the top) into a FileTree, yielding before each device and port. */
export async function readInfinibandDir(
  dir: string,
  signal?: AbortSignal,
  slicer = new TimeSlicer(),
): Promise<FileTree> {
  const tree = emptyTree();
  for (const dev of list(dir)) {
    await slicer.yield();
    signal?.throwIfAborted();
    const devDir = join(dir, dev);
    if (!isDir(join(devDir, 'ports'))) continue;
    addDir(tree, `${dev}/ports`);
    for (const f of DEVICE_FILES) {
      const t = readText(join(devDir, f));
      if (t !== undefined) addFile(tree, `${dev}/${f}`, t);
    }
    for (const n of list(join(devDir, 'device', 'net'))) addDir(tree, `${dev}/device/net/${n}`);
    for (const port of list(join(devDir, 'ports'))) {
      if (!/^\d+$/.test(port)) continue;
      await slicer.yield();
      await readPortInto(tree, join(devDir, 'ports', port), `${dev}/ports/${port}`, signal, slicer);
    }
  }
  return tree;
}

/** Device names under `<sys>/class/infiniband` that have a `ports` directory. */
export async function infinibandDevices(sysRoot: string): Promise<string[]> {
  const dir = join(sysRoot, 'class', 'infiniband');
  return list(dir).filter((d) => isDir(join(dir, d, 'ports')));
}

/** The kernel boot id, so counters are not compared across reboots. */
async function readBootId(procRoot: string): Promise<string | undefined> {
  return readText(join(procRoot, 'sys', 'kernel', 'random', 'boot_id'))?.trim() || undefined;
}

/** One live reading: the port records (with ethtool counters on RoCE ports), the boot id and facts. */
export interface RdmaReading {
  records: IbPortRecord[];
  bootId?: string;
  facts: Record<string, string>;
}

/** Read everything the rdma rules need. ethtool missing or failing is a fact, never a failure. */
export async function readRdma(ctx: ProbeContext, defaults: ProbeDefaults): Promise<RdmaReading> {
  const tree = await readInfinibandDir(join(ctx.roots.sys, 'class', 'infiniband'), ctx.signal);
  const records = recordsFromTree(tree);
  const bootId = await readBootId(ctx.roots.proc);
  const facts: Record<string, string> = {};
  for (const p of records) {
    if (p.fwVer) facts[`rdma.${p.device}.fw_ver`] = p.fwVer;
    if (p.hcaType) facts[`rdma.${p.device}.hca_type`] = p.hcaType;
    if (p.boardId) facts[`rdma.${p.device}.board_id`] = p.boardId;
  }
  let ethtoolMissing = false;
  const failures: string[] = [];
  const roce = records.filter((p) => p.linkLayer === 'Ethernet' && p.netdev);
  // In parallel, each bounded well inside the probe's own timeout.
  await Promise.all(
    roce.map(async (p) => {
      try {
        const out = await ctx.runner.run('ethtool', ['-S', p.netdev ?? ''], {
          timeoutMs: Math.min(defaults.timeoutMs, 2_000),
          outputCapBytes: defaults.outputCapBytes,
          signal: ctx.signal,
        });
        p.ethtool = parseEthtoolStats(out.stdout);
      } catch (err) {
        if (isKeelsonError(err, 'CMD_MISSING')) ethtoolMissing = true;
        else failures.push(`${p.netdev}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }),
  );
  ctx.signal.throwIfAborted();
  if (ethtoolMissing) facts['rdma.ethtool'] = 'missing (RoCE pause counters not read)';
  else if (failures.length > 0) facts['rdma.ethtool'] = `failed: ${failures.join('; ').slice(0, 300)}`;
  return bootId === undefined ? { records, facts } : { records, bootId, facts };
}
