/**
 * Pure parsers for the other InfiniBand diagnostics met in captures: `perfquery -x` / `-E`
 * (counter blocks per LID and port), `ibnetdiscover -p` (one line per fabric port) and
 * `ibv_devinfo -v` (HCA and port attributes, turned into port records). Throws only
 * KeelsonError('PARSE_FAILED').
 */
import { KeelsonError } from '../../core/errors.ts';
import { emptyPort, type IbPortRecord, normaliseLinkLayer, normalisePhysState, normaliseState } from './parse.ts';

/** perfquery attribute names → the sysfs counter names used everywhere else. */
const PERFQUERY_NAMES: Record<string, string> = {
  SymbolErrorCounter: 'symbol_error',
  LinkErrorRecoveryCounter: 'link_error_recovery',
  LinkDownedCounter: 'link_downed',
  PortRcvErrors: 'port_rcv_errors',
  PortRcvRemotePhysicalErrors: 'port_rcv_remote_physical_errors',
  PortRcvSwitchRelayErrors: 'port_rcv_switch_relay_errors',
  PortXmitDiscards: 'port_xmit_discards',
  PortXmitConstraintErrors: 'port_xmit_constraint_errors',
  PortRcvConstraintErrors: 'port_rcv_constraint_errors',
  LocalLinkIntegrityErrors: 'local_link_integrity_errors',
  ExcessiveBufferOverrunErrors: 'excessive_buffer_overrun_errors',
  VL15Dropped: 'VL15_dropped',
  PortXmitWait: 'port_xmit_wait',
  PortXmitData: 'port_xmit_data',
  PortRcvData: 'port_rcv_data',
  PortXmitPkts: 'port_xmit_packets',
  PortRcvPkts: 'port_rcv_packets',
  PortUnicastXmitPkts: 'unicast_xmit_packets',
  PortUnicastRcvPkts: 'unicast_rcv_packets',
  PortMulticastXmitPkts: 'multicast_xmit_packets',
  PortMulticastRcvPkts: 'multicast_rcv_packets',
};

/** Attributes that are selectors, not counters. */
const PERFQUERY_NON_COUNTERS = new Set(['PortSelect', 'CounterSelect', 'CounterSelect2']);

/** One `# ... counters: Lid L port P` block of perfquery output. */
export interface PerfqueryBlock {
  /** The block's title, e.g. `Port extended counters`, `PortRcvErrorDetails counters`. */
  title: string;
  lid: number;
  port: number;
  /** Counters by sysfs-style name (unknown attributes in snake_case). */
  counters: Record<string, number>;
}

function snake(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/** Parse `perfquery` output (one or more blocks). Throws PARSE_FAILED when it holds no block header. */
export function parsePerfquery(text: string): PerfqueryBlock[] {
  const blocks: PerfqueryBlock[] = [];
  let cur: PerfqueryBlock | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    const head = /^#\s*(.*?)\s*:\s*Lid\s+(\d+)\s+port\s+(\d+)/i.exec(line);
    if (head) {
      cur = { title: head[1] ?? '', lid: Number(head[2]), port: Number(head[3]), counters: {} };
      blocks.push(cur);
      continue;
    }
    if (!cur) continue;
    const m = /^([A-Za-z][A-Za-z0-9]*):\.*\s*(0x[0-9a-fA-F]+|\d+)\s*$/.exec(line);
    if (!m) continue;
    const name = m[1] ?? '';
    if (PERFQUERY_NON_COUNTERS.has(name)) continue;
    const n = Number(m[2]);
    if (Number.isFinite(n)) cur.counters[PERFQUERY_NAMES[name] ?? snake(name)] = n;
  }
  if (blocks.length === 0)
    throw new KeelsonError('PARSE_FAILED', 'perfquery output holds no "# ... counters: Lid L port P" header');
  return blocks;
}

/** One line of `ibnetdiscover -p`: a port, and its peer when linked. */
export interface IbnetPort {
  type: 'CA' | 'SW' | 'RT';
  lid: number;
  port: number;
  guid: string;
  /** `4x` → 4. */
  width: number;
  /** `EDR`, `HDR`, ...; undefined for `???` (no link). */
  speed: string | undefined;
  peer?: { type: string; lid: number; port: number; guid: string };
  names?: string;
}

/** Parse `ibnetdiscover -p` lines. Throws PARSE_FAILED when no line has the format. */
export function parseIbnetdiscoverPorts(text: string): IbnetPort[] {
  const out: IbnetPort[] = [];
  const re =
    /^(CA|SW|RT)\s+(\d+)\s+(\d+)\s+(0x[0-9a-fA-F]+)\s+(\d+)x\s+(\S+)(?:\s+-\s+(CA|SW|RT)\s+(\d+)\s+(\d+)\s+(0x[0-9a-fA-F]+))?\s*(.*)$/;
  for (const rawLine of text.split(/\r?\n/)) {
    const m = re.exec(rawLine.trim());
    if (!m) continue;
    const speed = m[6] ?? '';
    const p: IbnetPort = {
      type: m[1] as IbnetPort['type'],
      lid: Number(m[2]),
      port: Number(m[3]),
      guid: m[4] ?? '',
      width: Number(m[5]),
      speed: /^\?+$/.test(speed) ? undefined : speed,
    };
    if (m[7]) p.peer = { type: m[7], lid: Number(m[8]), port: Number(m[9]), guid: m[10] ?? '' };
    const names = (m[11] ?? '').trim();
    if (names) p.names = names;
    out.push(p);
  }
  if (out.length === 0) throw new KeelsonError('PARSE_FAILED', 'ibnetdiscover -p output holds no port line');
  return out;
}

/** Parse `ibv_devinfo [-v]` into port records (state, phys state, rate = width × lane speed, link layer). */
export function parseIbvDevinfo(text: string): IbPortRecord[] {
  const ports: IbPortRecord[] = [];
  let dev: { name: string; hcaType?: string; fwVer?: string; boardId?: string; nodeGuid?: string } | undefined;
  let cur: IbPortRecord | undefined;
  let width: number | undefined;
  let laneGbps: number | undefined;
  const finishRate = () => {
    if (cur && width !== undefined && laneGbps !== undefined) cur.rateGbps = Math.round(width * laneGbps * 10) / 10;
  };
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line) continue;
    const hca = /^hca_id:\s*(\S+)/.exec(line);
    if (hca) {
      finishRate();
      dev = { name: hca[1] ?? '' };
      cur = undefined;
      continue;
    }
    if (!dev) continue;
    const portM = /^port:\s*(\d+)\s*$/.exec(line);
    if (portM) {
      finishRate();
      width = undefined;
      laneGbps = undefined;
      cur = emptyPort(dev.name, Number(portM[1]));
      if (dev.hcaType) cur.hcaType = dev.hcaType;
      if (dev.fwVer) cur.fwVer = dev.fwVer;
      if (dev.boardId) cur.boardId = dev.boardId;
      if (dev.nodeGuid) cur.nodeGuid = dev.nodeGuid;
      ports.push(cur);
      continue;
    }
    const m = /^([A-Za-z_][\w ]*?):\s*(.*)$/.exec(line);
    if (!m) continue;
    const k = m[1] ?? '';
    const v = (m[2] ?? '').trim();
    if (!cur) {
      if (k === 'vendor_part_id' && /^\d+$/.test(v)) dev.hcaType = `MT${v}`;
      else if (k === 'fw_ver') dev.fwVer = v;
      else if (k === 'board_id') dev.boardId = v;
      else if (k === 'node_guid') dev.nodeGuid = v;
      continue;
    }
    if (k === 'state') {
      cur.state = normaliseState(v);
      cur.raw.state = v;
    } else if (k === 'phys_state') {
      cur.physState = normalisePhysState(v);
      cur.raw.physState = v;
    } else if (k === 'link_layer') {
      cur.linkLayer = normaliseLinkLayer(v);
    } else if (k === 'active_width') {
      const w = /^(\d+)X/.exec(v);
      if (w) {
        width = Number(w[1]);
        cur.width = width;
      }
    } else if (k === 'active_speed') {
      const s = /^(\d+(?:\.\d+)?)\s*Gbps/.exec(v);
      if (s) laneGbps = Number(s[1]);
      cur.raw.rate = `${cur.width ?? '?'}X ${v}`;
    }
  }
  finishRate();
  if (ports.length === 0) throw new KeelsonError('PARSE_FAILED', 'ibv_devinfo output holds no hca_id with a port');
  return ports;
}
