/**
 * Pure parsers for InfiniBand / RoCE port facts: single sysfs values (`4: ACTIVE`,
 * `5: LinkUp`, `400 Gb/sec (4X NDR)`, counters that may read `N/A (no PMA)`), `ibstat` and
 * `ibstatus` text (infiniband-diags) and `ethtool -S` text. Text in, typed records out; never
 * touches disk, clock or processes, and throws nothing but KeelsonError('PARSE_FAILED').
 */
import { KeelsonError } from '../../core/errors.ts';

/** Logical port states, by the number the kernel prints before the name. */
export const PORT_STATES = ['NOP', 'DOWN', 'INIT', 'ARMED', 'ACTIVE', 'ACTIVE_DEFER'] as const;
/** Physical port states, by the number the kernel prints before the name (0 prints `<unknown>`). */
export const PHYS_STATES = [
  '<unknown>',
  'Sleep',
  'Polling',
  'Disabled',
  'PortConfigurationTraining',
  'LinkUp',
  'LinkErrorRecovery',
  'Phy Test',
] as const;

/** One port of one HCA, whatever the source (sysfs, ibstat, ibstatus, ibv_devinfo). */
export interface IbPortRecord {
  /** Device name, e.g. `mlx5_0`. */
  device: string;
  port: number;
  /** Normalised logical state (`ACTIVE`, `DOWN`, `INIT`, `ARMED`, ...), or undefined when unreadable. */
  state: string | undefined;
  /** Normalised physical state (`LinkUp`, `Disabled`, `Polling`, `<unknown>`, ...), or undefined. */
  physState: string | undefined;
  rateGbps: number | undefined;
  /** `InfiniBand` or `Ethernet` (RoCE), or undefined. */
  linkLayer: string | undefined;
  /** PMA counters (`counters/*` or perfquery); undefined where unreadable or `N/A (no PMA)`. */
  counters: Record<string, number | undefined>;
  /** Driver counters (`hw_counters/*`). */
  hwCounters: Record<string, number | undefined>;
  /** Link width in lanes (4 for `4X`), when the source says. */
  width?: number;
  /** Lane speed name (`NDR`, `HDR`, ...), when the source says. */
  speedName?: string;
  /** CA type / hca_type, e.g. `MT4129`. */
  hcaType?: string;
  fwVer?: string;
  boardId?: string;
  nodeGuid?: string;
  /** The Ethernet netdev behind a RoCE port. */
  netdev?: string;
  /** `ethtool -S <netdev>` counters (RoCE ports only). */
  ethtool?: Record<string, number>;
  /** The raw text of state / phys_state / rate, kept for evidence. */
  raw: { state?: string; physState?: string; rate?: string };
}

/** Identity of a port: `mlx5_0/1`. */
export function portKey(p: { device: string; port: number }): string {
  return `${p.device}/${p.port}`;
}

/** A port that is up: logical ACTIVE and (when known) physical LinkUp. */
export function isPortUp(p: Pick<IbPortRecord, 'state' | 'physState'>): boolean {
  const active = p.state === 'ACTIVE' || p.state === 'ACTIVE_DEFER';
  return active && (p.physState === undefined || p.physState === 'LinkUp');
}

/** A port known to be down: a known state that is not ACTIVE, or a known phys state that is not LinkUp. */
export function isPortDown(p: Pick<IbPortRecord, 'state' | 'physState'>): boolean {
  if (p.state !== undefined && p.state !== 'ACTIVE' && p.state !== 'ACTIVE_DEFER') return true;
  return p.physState !== undefined && p.physState !== 'LinkUp';
}

/** A fresh record with nothing known but its identity. */
export function emptyPort(device: string, port: number): IbPortRecord {
  return {
    device,
    port,
    state: undefined,
    physState: undefined,
    rateGbps: undefined,
    linkLayer: undefined,
    counters: {},
    hwCounters: {},
    raw: {},
  };
}

function canon(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9<>]/g, '');
}

const STATE_BY_CANON = new Map<string, string>([
  ...PORT_STATES.map((s) => [canon(s), s] as [string, string]),
  ['portactive', 'ACTIVE'],
  ['portdown', 'DOWN'],
  ['portinit', 'INIT'],
  ['portarmed', 'ARMED'],
  ['portactivedefer', 'ACTIVE_DEFER'],
  ['initialize', 'INIT'],
  ['initializing', 'INIT'],
  ['unknown', 'UNKNOWN'],
]);
const PHYS_BY_CANON = new Map<string, string>([
  ...PHYS_STATES.map((s) => [canon(s), s] as [string, string]),
  ['unknown', '<unknown>'],
  ['nostatechange', '<unknown>'],
  ['linkup', 'LinkUp'],
  ['linkerrorrecovery', 'LinkErrorRecovery'],
  ['linkerrrecover', 'LinkErrorRecovery'],
  ['phytest', 'Phy Test'],
  ['portconfigurationtraining', 'PortConfigurationTraining'],
  ['portconfigurationtrainning', 'PortConfigurationTraining'],
]);

/** A state name in any tool's spelling (`Active`, `4: ACTIVE`, `PORT_ACTIVE (4)`) → `ACTIVE`; undefined if unknown. */
export function normaliseState(text: string): string | undefined {
  const t = text.trim();
  const num = /^(\d+)\s*:/.exec(t) ?? /\((\d+)\)\s*$/.exec(t);
  const name = t
    .replace(/^\d+\s*:\s*/, '')
    .replace(/\s*\(\d+\)\s*$/, '')
    .trim();
  const byName = STATE_BY_CANON.get(canon(name));
  if (byName && byName !== 'UNKNOWN') return byName;
  if (num) return PORT_STATES[Number(num[1])] ?? 'UNKNOWN';
  return byName;
}

/** A physical state in any spelling (`LinkUp`, `5: LinkUp`, `LINK_UP (5)`, `0: <unknown>`) → canonical name. */
export function normalisePhysState(text: string): string | undefined {
  const t = text.trim();
  const num = /^(\d+)\s*:/.exec(t) ?? /\((\d+)\)\s*$/.exec(t);
  if (num) {
    const byNum = PHYS_STATES[Number(num[1])];
    if (byNum) return byNum;
  }
  const name = t
    .replace(/^\d+\s*:\s*/, '')
    .replace(/\s*\(\d+\)\s*$/, '')
    .trim();
  return PHYS_BY_CANON.get(canon(name)) ?? (num ? '<unknown>' : undefined);
}

/** A sysfs `state` file (`4: ACTIVE`) → canonical state; undefined when it is not in that format. */
export function parseSysfsState(text: string): string | undefined {
  return /^\s*\d+\s*:\s*\S/.test(text) ? normaliseState(text) : undefined;
}

/** A sysfs `phys_state` file (`5: LinkUp`, `0: <unknown>`) → canonical phys state; undefined when not that format. */
export function parseSysfsPhysState(text: string): string | undefined {
  return /^\s*\d+\s*:\s*\S/.test(text) ? normalisePhysState(text) : undefined;
}

/** A parsed `rate` value. */
export interface RateInfo {
  gbps: number;
  width?: number;
  speedName?: string;
}

/** A sysfs `rate` file (`400 Gb/sec (4X NDR)`, `10 Gb/sec (4X)`, `2.5 Gb/sec (1X SDR)`) → numbers; undefined if not that format. */
export function parseSysfsRate(text: string): RateInfo | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*Gb\/sec(?:\s*\((\d+)X\s*([A-Za-z0-9]*)\))?/.exec(text);
  if (!m) return undefined;
  const gbps = Number(m[1]);
  if (!Number.isFinite(gbps)) return undefined;
  const out: RateInfo = { gbps };
  if (m[2] !== undefined) out.width = Number(m[2]);
  if (m[3]) out.speedName = m[3];
  return out;
}

/** A counter file's contents → number; undefined for `N/A (no PMA)`, empty or non-numeric text. */
export function parseCounterValue(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d+$/.test(t) && !/^0x[0-9a-fA-F]+$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** Link layer spelled the kernel's way (`InfiniBand`, `Ethernet`), or the text itself when unknown. */
export function normaliseLinkLayer(text: string): string | undefined {
  const t = text.trim();
  if (!t) return undefined;
  const c = canon(t);
  if (c === 'infiniband') return 'InfiniBand';
  if (c === 'ethernet') return 'Ethernet';
  return t;
}

/** The end of an `ibstat` run that hit `ibpanic:` (a device it could not stat, a umad error). */
export interface IbPanic {
  line: string;
  /** The device it names, if any (`stat of IB device 'mlx5_8' failed`). */
  device?: string;
}

/** What `ibstat` printed: the ports it got through and the panic, if it ended in one. */
export interface IbstatResult {
  ports: IbPortRecord[];
  panic?: IbPanic;
  /** `ibwarn:` lines. */
  warnings: string[];
}

function kv(line: string): [string, string] | undefined {
  const i = line.indexOf(':');
  if (i <= 0) return undefined;
  return [line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim()];
}

/** Parse `ibstat` text (CA blocks with Port blocks). Throws PARSE_FAILED when it holds no CA and no ibpanic line. */
export function parseIbstat(text: string): IbstatResult {
  const ports: IbPortRecord[] = [];
  const warnings: string[] = [];
  let panic: IbPanic | undefined;
  let ca: { name: string; hcaType?: string; fwVer?: string; nodeGuid?: string } | undefined;
  let cur: IbPortRecord | undefined;
  let sawCa = false;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line) continue;
    if (line.startsWith('ibpanic:')) {
      const dev = /IB device '([^']+)'/.exec(line)?.[1];
      panic = dev ? { line, device: dev } : { line };
      cur = undefined;
      continue;
    }
    if (line.startsWith('ibwarn:')) {
      warnings.push(line);
      continue;
    }
    const caM = /^CA '([^']*)'\s*$/.exec(line);
    if (caM) {
      sawCa = true;
      ca = { name: caM[1] ?? '' };
      cur = undefined;
      continue;
    }
    if (!ca) continue;
    const portM = /^Port (\d+):\s*$/.exec(line);
    if (portM) {
      cur = emptyPort(ca.name, Number(portM[1]));
      if (ca.hcaType) cur.hcaType = ca.hcaType;
      if (ca.fwVer) cur.fwVer = ca.fwVer;
      if (ca.nodeGuid) cur.nodeGuid = ca.nodeGuid;
      ports.push(cur);
      continue;
    }
    const pair = kv(line);
    if (!pair) continue;
    const [k, v] = pair;
    if (!cur) {
      if (k === 'ca type') ca.hcaType = v;
      else if (k === 'firmware version') ca.fwVer = v;
      else if (k === 'node guid') ca.nodeGuid = v;
      continue;
    }
    if (k === 'state') {
      cur.state = normaliseState(v);
      cur.raw.state = v;
    } else if (k === 'physical state') {
      cur.physState = normalisePhysState(v);
      cur.raw.physState = v;
    } else if (k === 'rate') {
      const n = Number(v);
      if (v !== '' && Number.isFinite(n)) cur.rateGbps = n;
      cur.raw.rate = v;
    } else if (k === 'link layer') {
      cur.linkLayer = normaliseLinkLayer(v);
    }
  }
  if (!sawCa && !panic) throw new KeelsonError('PARSE_FAILED', 'ibstat output holds no CA block');
  return panic ? { ports, panic, warnings } : { ports, warnings };
}

/** Parse `ibstatus` text (`Infiniband device 'X' port N status:` blocks). Throws PARSE_FAILED when it holds none. */
export function parseIbstatus(text: string): IbPortRecord[] {
  const ports: IbPortRecord[] = [];
  let cur: IbPortRecord | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line) continue;
    const head = /^Infiniband device '([^']*)' port (\d+) status:\s*$/i.exec(line);
    if (head) {
      cur = emptyPort(head[1] ?? '', Number(head[2]));
      ports.push(cur);
      continue;
    }
    if (!cur) continue;
    const pair = kv(line);
    if (!pair) continue;
    const [k, v] = pair;
    if (k === 'state') {
      cur.state = normaliseState(v);
      cur.raw.state = v;
    } else if (k === 'phys state') {
      cur.physState = normalisePhysState(v);
      cur.raw.physState = v;
    } else if (k === 'rate') {
      const r = parseSysfsRate(v);
      cur.raw.rate = v;
      if (r) {
        cur.rateGbps = r.gbps;
        if (r.width !== undefined) cur.width = r.width;
        if (r.speedName) cur.speedName = r.speedName;
      }
    } else if (k === 'link_layer' || k === 'link layer') {
      cur.linkLayer = normaliseLinkLayer(v);
    }
  }
  if (ports.length === 0) throw new KeelsonError('PARSE_FAILED', 'ibstatus output holds no port block');
  return ports;
}

/** Parse `ethtool -S <if>` text (`     name: value` lines) → counters; non-numeric values are skipped. */
export function parseEthtoolStats(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  let sawHeader = false;
  for (const rawLine of text.split(/\r?\n/)) {
    if (/^\s*NIC statistics:\s*$/.test(rawLine)) {
      sawHeader = true;
      continue;
    }
    const m = /^\s*([^\s:][^:]*?):\s*(-?\d+)\s*$/.exec(rawLine);
    if (!m) continue;
    const n = Number(m[2]);
    if (Number.isFinite(n)) out[m[1] ?? ''] = n;
  }
  if (!sawHeader && Object.keys(out).length === 0) {
    throw new KeelsonError('PARSE_FAILED', 'ethtool -S output holds no statistics');
  }
  return out;
}
