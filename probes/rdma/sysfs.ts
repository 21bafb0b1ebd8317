/**
 * Turns a copy of /sys/class/infiniband (a FileTree, from the live sysfs or from a ttar) into
 * port records: `<dev>/ports/<n>/{state,phys_state,rate,link_layer,counters/*,hw_counters/*}`
 * plus device-level fw_ver, board_id, hca_type, node_guid, and the RoCE netdev. Pure.
 */
import {
  emptyPort,
  type IbPortRecord,
  normaliseLinkLayer,
  parseCounterValue,
  parseSysfsPhysState,
  parseSysfsRate,
  parseSysfsState,
} from './parse.ts';
import { type FileTree, subTree, treeLister } from './tree.ts';

/** Lists the names directly below a directory of one tree (see treeLister). */
type Lister = (dir: string) => string[];

/** Files read per port besides the counter directories. */
export const PORT_FILES = ['state', 'phys_state', 'rate', 'link_layer', 'gid_attrs/ndevs/0'] as const;
/** Files read per device. */
export const DEVICE_FILES = ['fw_ver', 'board_id', 'hca_type', 'node_guid'] as const;
/** Counter directories read per port. */
export const COUNTER_DIRS = ['counters', 'hw_counters'] as const;

/** The device names at the top of a class/infiniband tree (directories holding `ports/`). */
function devicesInTree(tree: FileTree, ls: Lister): string[] {
  return ls('').filter((d) => tree.dirs.has(`${d}/ports`));
}

function text(tree: FileTree, path: string): string | undefined {
  const t = tree.files.get(path);
  if (t === undefined) return undefined;
  const v = t.trim();
  return v === '' ? undefined : v;
}

function counters(tree: FileTree, dir: string, ls: Lister): Record<string, number | undefined> {
  const out: Record<string, number | undefined> = {};
  for (const name of ls(dir)) {
    const raw = tree.files.get(`${dir}/${name}`);
    if (raw === undefined) continue;
    out[name] = parseCounterValue(raw);
  }
  return out;
}

/**
 * One port directory (`state`, `phys_state`, `rate`, ... relative to `dir`) → a record. Pass the
 * tree's `treeLister` when reading many ports of one tree.
 */
export function portFromTree(
  tree: FileTree,
  dir: string,
  device: string,
  port: number,
  ls: Lister = treeLister(tree),
): IbPortRecord {
  const p = emptyPort(device, port);
  const at = (f: string) => (dir ? `${dir}/${f}` : f);
  const state = text(tree, at('state'));
  if (state !== undefined) {
    p.raw.state = state;
    p.state = parseSysfsState(state);
  }
  const phys = text(tree, at('phys_state'));
  if (phys !== undefined) {
    p.raw.physState = phys;
    p.physState = parseSysfsPhysState(phys);
  }
  const rate = text(tree, at('rate'));
  if (rate !== undefined) {
    p.raw.rate = rate;
    const r = parseSysfsRate(rate);
    if (r) {
      p.rateGbps = r.gbps;
      if (r.width !== undefined) p.width = r.width;
      if (r.speedName) p.speedName = r.speedName;
    }
  }
  const ll = text(tree, at('link_layer'));
  if (ll !== undefined) p.linkLayer = normaliseLinkLayer(ll);
  const ndev = text(tree, at('gid_attrs/ndevs/0'));
  if (ndev !== undefined && /^[\w.:@-]{1,64}$/.test(ndev)) p.netdev = ndev;
  p.counters = counters(tree, at('counters'), ls);
  p.hwCounters = counters(tree, at('hw_counters'), ls);
  return p;
}

/** Every port of every device in a class/infiniband tree, sorted by device then port. */
export function recordsFromTree(tree: FileTree): IbPortRecord[] {
  const out: IbPortRecord[] = [];
  const ls = treeLister(tree);
  for (const dev of devicesInTree(tree, ls)) {
    const devNet = ls(`${dev}/device/net`).filter((n) => /^[\w.:@-]{1,64}$/.test(n));
    const devFacts = {
      hcaType: text(tree, `${dev}/hca_type`),
      fwVer: text(tree, `${dev}/fw_ver`),
      boardId: text(tree, `${dev}/board_id`),
      nodeGuid: text(tree, `${dev}/node_guid`),
    };
    const ports = ls(`${dev}/ports`)
      .filter((n) => /^\d+$/.test(n))
      .map(Number)
      .sort((a, b) => a - b);
    for (const n of ports) {
      const p = portFromTree(tree, `${dev}/ports/${n}`, dev, n, ls);
      if (devFacts.hcaType) p.hcaType = devFacts.hcaType;
      if (devFacts.fwVer) p.fwVer = devFacts.fwVer;
      if (devFacts.boardId) p.boardId = devFacts.boardId;
      if (devFacts.nodeGuid) p.nodeGuid = devFacts.nodeGuid;
      if (!p.netdev && devNet.length > 0) p.netdev = devNet[Math.min(n - 1, devNet.length - 1)] ?? devNet[0];
      out.push(p);
    }
  }
  return out;
}

/** Where `class/infiniband` sits inside a tree of full paths (a ttar of `sys/...`), or undefined. */
function findInfinibandRoot(tree: FileTree): string | undefined {
  const dirs = [...tree.dirs].filter((d) => d === 'class/infiniband' || d.endsWith('/class/infiniband'));
  dirs.sort((a, b) => a.length - b.length);
  return dirs[0];
}

/** The class/infiniband part of a tree of full paths, or the tree itself when it has no such directory. */
export function infinibandTree(tree: FileTree): FileTree {
  const root = findInfinibandRoot(tree);
  return root === undefined ? tree : subTree(tree, root);
}
