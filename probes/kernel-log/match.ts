/**
 * Matchers: one KernelLine → at most one observation (Xid, SXid, fallen off the bus, NVMe,
 * EDAC/MCE, hung task, OOM kill, filesystem errors) or a link state change for flap detection.
 * Pure and catalog-driven: severities and actions come from catalog.ts.
 */
import type { Action, Observation, Severity } from '../../core/finding.ts';
import { capEvidence } from '../../core/finding.ts';
import { catalogEntry, resolveXid, type XidOverrides } from './catalog.ts';
import type { KernelLine } from './parse.ts';

/** What one line means. */
export interface KernelMatch {
  observation?: Observation;
  /** A link went down or up (feeds flap detection). */
  link?: { iface: string; up: boolean };
  /** Suppress repeats of one underlying event reported by several lines (oom-kill + Killed process). */
  dedupeKey?: string;
}

/** Options for matching. */
export interface MatchOptions {
  xidOverrides?: XidOverrides;
}

/** Identifiers whose syslog lines we read; anything else in a syslog file is user space. */
const IDENTS = new Set(['kernel', 'systemd-networkd', 'NetworkManager']);

const PCI = '([0-9a-fA-F]{4,8}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}(?:\\.[0-7])?)';
const XID_RE = new RegExp(`NVRM: Xid \\(\\s*(?:PCI:)?${PCI}[^)]*\\):\\s*(\\d{1,6})\\b,?\\s*(.*)$`);
const SXID_RE = /(?:nvidia-)?nvswitch(\d+): SXid \((?:PCI:)?([^)]*)\):\s*(\d{1,6})\b,?\s*(.*)$/;
const FALLEN_RE = new RegExp(`${PCI}.*fallen off the bus|fallen off the bus.*?${PCI}`, 'i');
const MLX_LINK_RE = /^(?:mlx[45]_core|mlx5_ib)\s+[0-9a-fA-F:.]+\s+([\w.-]+):\s+Link (down|up)\b/i;
const CARRIER_RE = /^(ib[\w.-]*):\s+(lost carrier|gained carrier)\s*$/i;
const NVME_TIMEOUT_RE = /\bnvme (nvme\d+): I\/O (?:tag )?\d+ (?:[^,]{0,80}? )?QID \d+ timeout/i;
const NVME_RESET_RE = /\bnvme (nvme\d+): .*?(resetting controller|controller is down; will reset|reset controller)/i;
const NVME_REMOVED_RE =
  /\bnvme (nvme\d+|[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]): .*?(Removing after probe failure|Disabling device after reset failure|Device not ready; aborting (?:reset|initialisation))/i;
const EDAC_RE = /\bEDAC\b.*?\b(\d+)\s+(CE|UE)\b/;
const EDAC_WORD_RE = /\bEDAC\b.*\b(UE|CE)\b/;
const HW_ERROR_RE = /\[Hardware Error\]|Machine check events logged|Machine Check Exception|Fatal machine check/i;
const HW_UNCORRECTED_RE =
  /uncorrect|\bfatal\b|\bUE\b|event severity: (?:recoverable|fatal)|Machine Check Exception|\bPCC\b/i;
const HUNG_RE = /INFO: task (.+):(\d+) blocked for more than (\d+) seconds/;
const OOM_KILLED_RE = /(?:Memory cgroup out of memory|Out of memory(?: \([^)]*\))?): Killed process (\d+) \(([^)]*)\)/;
const OOM_KILL_RE = /\boom-kill:.*?\btask=([^,\s]*),\s*pid=(\d+)/;
const EXT4_ERROR_RE = /\b(EXT[234]-fs|BTRFS) (?:error|critical)\b(?: \(device ([^)]+)\))?/;
const READONLY_RE =
  /\b(EXT[234]-fs|XFS|BTRFS)?\s*(?:\(([^)]+)\))?:?.*\b(Remounting filesystem read-only|remounting read-only|forced readonly)/i;
const XFS_SHUTDOWN_RE =
  /\bXFS \(([^)]+)\):.*(xfs_do_force_shutdown|Filesystem has been shut down|Shutting down filesystem|Please unmount the filesystem)/;
const XFS_ERROR_RE =
  /\bXFS \(([^)]+)\):.*(Corruption (?:of in-memory data|detected)|metadata I\/O error|Metadata corruption)/;
const LUSTRE_RE = /\bLustreError\b/;

/** `PCI:0000:91:00` / `00000000:91:00.0` → `0000:91:00.0` (lowercase, 4-digit domain, function .0 when absent). */
export function normalizePciBusId(id: string): string {
  const m = /^([0-9a-fA-F]{4,8}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})(?:\.([0-7]))?$/.exec(id.replace(/^PCI:/i, ''));
  if (!m) return id.toLowerCase();
  return `${(m[1] ?? '').slice(-4)}:${m[2]}:${m[3]}.${m[4] ?? '0'}`.toLowerCase();
}

function obs(
  code: string,
  component: string,
  message: string,
  line: KernelLine,
  over?: { severity?: Severity; action?: Action; sticky?: boolean },
): Observation {
  const pattern = code.startsWith('gpu.xid.')
    ? 'gpu.xid.<n>'
    : code.startsWith('nvswitch.sxid.')
      ? 'nvswitch.sxid.<n>'
      : code;
  const e = catalogEntry(pattern);
  const o: Observation = {
    code,
    component,
    severity: over?.severity ?? e.severity,
    action: over?.action ?? e.action,
    kind: e.kind,
    message,
    evidence: capEvidence(line.text),
  };
  if (over?.sticky) o.sticky = true;
  if (line.at !== undefined) o.at = line.at;
  return o;
}

/** Xid 154 names the recovery the driver now wants; read it instead of the catalog's default. */
function xid154Recovery(rest: string): { severity: Severity; action: Action } | undefined {
  const m = /to 0x[0-9a-f]+ \(([^)]*)\)/i.exec(rest);
  const want = (m?.[1] ?? rest).toLowerCase();
  if (want.includes('reboot')) return { severity: 'fatal', action: 'reboot' };
  if (want.includes('drain p2p')) return { severity: 'degraded', action: 'drain' };
  if (want.includes('reset')) return { severity: 'degraded', action: 'reset-gpu' };
  if (m && want.trim() === 'none') return { severity: 'info', action: 'none' };
  return undefined;
}

function matchXid(line: KernelLine, opts: MatchOptions): KernelMatch | undefined {
  const m = XID_RE.exec(line.text);
  if (!m) return undefined;
  const xid = Number(m[2]);
  const bus = normalizePciBusId(m[1] ?? '');
  const rest = (m[3] ?? '').trim();
  let judged = resolveXid(xid, opts.xidOverrides);
  if (xid === 154 && opts.xidOverrides?.['154'] === undefined) {
    const r = xid154Recovery(rest);
    if (r) judged = { ...judged, ...r };
  }
  const detail = rest.replace(/^pid=[^,]*,\s*(?:name=[^,]*,\s*)?/, '');
  const message = `Xid ${xid} (${judged.meaning}) on GPU ${bus}${detail ? `: ${detail}` : ''}`;
  return {
    observation: obs(`gpu.xid.${xid}`, `gpu:${bus}`, message, line, {
      severity: judged.severity,
      action: judged.action,
      sticky: judged.action === 'reboot',
    }),
  };
}

function matchSxid(line: KernelLine): KernelMatch | undefined {
  const m = SXID_RE.exec(line.text);
  if (!m) return undefined;
  const sw = m[1] ?? '';
  const code = Number(m[3]);
  const rest = (m[4] ?? '').trim();
  // `Severity 1 Engine instance ...` and `Data {...}` lines detail the report before them.
  if (/^(?:Severity \d|Data \{)/.test(rest)) return {};
  const over: { severity: Severity; action: Action } = /^Non-fatal\b/i.test(rest)
    ? { severity: 'warn', action: 'inspect-hardware' }
    : /^Fatal\b/i.test(rest)
      ? { severity: 'fatal', action: 'drain' }
      : { severity: 'degraded', action: 'inspect-hardware' };
  return {
    observation: obs(`nvswitch.sxid.${code}`, `nvswitch:${sw}`, `NVSwitch ${sw} SXid ${code}: ${rest}`, line, over),
  };
}

function matchLink(line: KernelLine): KernelMatch | undefined {
  const m = MLX_LINK_RE.exec(line.text) ?? CARRIER_RE.exec(line.text);
  if (!m) return undefined;
  const iface = m[1] ?? '';
  const up = /up|gained/i.test(m[2] ?? '');
  const link = { iface, up };
  if (up) return { link };
  return { link, observation: obs('ib.link.down', `ib:${iface}`, `Link ${iface} went down`, line) };
}

function matchNvme(line: KernelLine): KernelMatch | undefined {
  const t = line.text;
  let m = NVME_TIMEOUT_RE.exec(t);
  if (m) return { observation: obs('nvme.io_timeout', m[1] ?? 'nvme', `NVMe ${m[1]} command timed out`, line) };
  m = NVME_REMOVED_RE.exec(t);
  if (m) {
    const dev = m[1] ?? '';
    const component = dev.startsWith('nvme') ? dev : `nvme:${dev}`;
    return { observation: obs('nvme.removed', component, `NVMe ${dev} removed: ${m[2]}`, line) };
  }
  m = NVME_RESET_RE.exec(t);
  if (m) return { observation: obs('nvme.reset', m[1] ?? 'nvme', `NVMe ${m[1]} controller reset`, line) };
  return undefined;
}

function matchMemory(line: KernelLine): KernelMatch | undefined {
  const t = line.text;
  const e = EDAC_RE.exec(t) ?? EDAC_WORD_RE.exec(t);
  if (e) {
    const kind = (e.length > 2 ? e[2] : e[1]) === 'UE' ? 'ue' : 'ce';
    return {
      observation: obs(
        `kernel.edac.${kind}`,
        'host',
        `${kind === 'ue' ? 'Uncorrected' : 'Corrected'} memory error (EDAC)`,
        line,
      ),
    };
  }
  if (HW_ERROR_RE.test(t)) {
    if (/Machine check events logged/i.test(t)) {
      return { observation: obs('kernel.edac.ce', 'host', 'Machine check events logged', line) };
    }
    const kind = HW_UNCORRECTED_RE.test(t) ? 'ue' : 'ce';
    return {
      observation: obs(
        `kernel.edac.${kind}`,
        'host',
        `${kind === 'ue' ? 'Uncorrected' : 'Corrected'} hardware error (MCE)`,
        line,
      ),
    };
  }
  return undefined;
}

function matchKernel(line: KernelLine): KernelMatch | undefined {
  const t = line.text;
  let m = HUNG_RE.exec(t);
  if (m) {
    return {
      observation: obs('kernel.hung_task', 'host', `Task ${m[1]} (pid ${m[2]}) blocked for more than ${m[3]} s`, line),
    };
  }
  m = OOM_KILLED_RE.exec(t);
  if (m) {
    return {
      observation: obs('kernel.oom_kill', 'host', `OOM killer killed ${m[2]} (pid ${m[1]})`, line),
      dedupeKey: `oom:${m[1]}`,
    };
  }
  m = OOM_KILL_RE.exec(t);
  if (m) {
    return {
      observation: obs('kernel.oom_kill', 'host', `OOM killer killed ${m[1]} (pid ${m[2]})`, line),
      dedupeKey: `oom:${m[2]}`,
    };
  }
  m = XFS_SHUTDOWN_RE.exec(t);
  if (m) return { observation: obs('kernel.fs.readonly', 'host', `XFS ${m[1]} shut down after errors`, line) };
  m = READONLY_RE.exec(t);
  if (m) {
    const dev = m[2] ? ` ${m[2]}` : '';
    return { observation: obs('kernel.fs.readonly', 'host', `Filesystem${dev} remounted read-only`, line) };
  }
  m = EXT4_ERROR_RE.exec(t);
  if (m) {
    const dev = m[2] ? ` on ${m[2]}` : '';
    return { observation: obs('kernel.fs.error', 'host', `${m[1]} error${dev}`, line) };
  }
  m = XFS_ERROR_RE.exec(t);
  if (m) return { observation: obs('kernel.fs.error', 'host', `XFS ${m[1]}: ${m[2]}`, line) };
  if (LUSTRE_RE.test(t)) {
    return {
      observation: obs('kernel.fs.error', 'host', 'Lustre client error', line, { severity: 'warn', action: 'none' }),
    };
  }
  return undefined;
}

/** What a line means, or undefined for a line no matcher recognises. Pure. */
export function matchLine(line: KernelLine, opts: MatchOptions = {}): KernelMatch | undefined {
  if (line.ident !== undefined && !IDENTS.has(line.ident)) return undefined;
  const t = line.text;
  if (t.includes('Xid')) {
    const x = matchXid(line, opts);
    if (x) return x;
  }
  if (t.includes('SXid')) {
    const s = matchSxid(line);
    if (s) return s;
  }
  if (t.includes('fallen off the bus')) {
    const m = FALLEN_RE.exec(t);
    const bus = normalizePciBusId(m?.[1] ?? m?.[2] ?? 'unknown');
    return {
      observation: obs('gpu.fallen_off_bus', `gpu:${bus}`, `GPU ${bus} has fallen off the bus`, line, { sticky: true }),
    };
  }
  return matchLink(line) ?? matchNvme(line) ?? matchMemory(line) ?? matchKernel(line);
}
