/**
 * Parser for `nvidia-smi -q` / `nvidia-smi -a` text (also partial `-q -d PAGE_RETIREMENT` and
 * similar). The output is an indentation tree of `Key : value` lines and bare section headers;
 * each `GPU <bus id>` line opens one GPU. Field names changed over driver releases (Clocks
 * Throttle Reasons → Clocks Event Reasons, Power Readings → GPU Power Readings, absolute
 * temperature thresholds → T.Limit margins); all map onto the same GpuRecord.
 */
import { KeelsonError } from '../../core/errors.ts';
import {
  clean,
  type EccCounts,
  emptyRecord,
  type GpuRecord,
  type GpuSnapshot,
  isFieldError,
  normalizeBusId,
  sumDefined,
  toBool,
  toCount,
  toNumber,
} from './record.ts';

/** One line of the tree: a key, its value (undefined for a section header) and its children. */
interface TextNode {
  key: string;
  value?: string;
  children: TextNode[];
}

const GPU_LINE = /^GPU ([0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7])\s*$/;
const BANNER = /={5,}\s*NVSMI LOG\s*={5,}/;

function indentOf(line: string): number {
  let n = 0;
  for (const ch of line) {
    if (ch === ' ') n += 1;
    else if (ch === '\t') n += 4;
    else break;
  }
  return n;
}

/** Split `Key   : value` at the padded colon (values such as bus ids contain colons too). */
function splitKeyValue(trimmed: string): { key: string; value?: string } {
  const m = /^(.*?\S)\s*:(?:\s(.*)|)$/.exec(trimmed);
  if (m?.[1] !== undefined && !/^[0-9A-Fa-f]{4,8}$/.test(m[1])) return { key: m[1], value: (m[2] ?? '').trim() };
  return { key: trimmed.trim() };
}

function buildTree(lines: string[]): TextNode {
  const root: TextNode = { key: '', children: [] };
  const stack: { indent: number; node: TextNode }[] = [{ indent: -1, node: root }];
  for (const line of lines) {
    if (line.trim() === '') continue;
    const indent = indentOf(line);
    const node: TextNode = { ...splitKeyValue(line.trim()), children: [] };
    while (stack.length > 1 && (stack[stack.length - 1]?.indent ?? -1) >= indent) stack.pop();
    stack[stack.length - 1]?.node.children.push(node);
    stack.push({ indent, node });
  }
  return root;
}

const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();

function child(node: TextNode | undefined, ...keys: string[]): TextNode | undefined {
  let cur = node;
  for (const k of keys) {
    const want = norm(k);
    cur = cur?.children.find((c) => norm(c.key) === want);
    if (!cur) return undefined;
  }
  return cur;
}

/** The first of several alternative sections that exists. */
function anyChild(node: TextNode | undefined, ...names: string[]): TextNode | undefined {
  for (const n of names) {
    const c = child(node, n);
    if (c) return c;
  }
  return undefined;
}

function eccScope(
  scope: TextNode | undefined,
  val: (n: TextNode | undefined, ...k: string[]) => string | undefined,
): EccCounts {
  if (!scope) return {};
  const c = (...k: string[]) => toCount(val(scope, ...k));
  const oldSbe = c('Single Bit', 'Total');
  const oldDbe = c('Double Bit', 'Total');
  const dramCorrectable = c('DRAM Correctable');
  const dramUncorrectable = c('DRAM Uncorrectable');
  const sramCorrectable = c('SRAM Correctable');
  const sramUncorrectable =
    c('SRAM Uncorrectable') ?? sumDefined(c('SRAM Uncorrectable Parity'), c('SRAM Uncorrectable SEC-DED'));
  const out: EccCounts = {};
  const sbe = oldSbe ?? sumDefined(dramCorrectable, sramCorrectable);
  const dbe = oldDbe ?? sumDefined(dramUncorrectable, sramUncorrectable);
  if (sbe !== undefined) out.sbe = sbe;
  if (dbe !== undefined) out.dbe = dbe;
  if (dramCorrectable !== undefined) out.dramCorrectable = dramCorrectable;
  if (dramUncorrectable !== undefined) out.dramUncorrectable = dramUncorrectable;
  if (sramCorrectable !== undefined) out.sramCorrectable = sramCorrectable;
  if (sramUncorrectable !== undefined) out.sramUncorrectable = sramUncorrectable;
  return out;
}

function gpuFromText(node: TextNode, busId: string | undefined, position: number): GpuRecord {
  const rec = emptyRecord();
  rec.index = position;
  if (busId) rec.busId = busId;
  const val = (from: TextNode | undefined, ...keys: string[]): string | undefined => {
    const n = child(from, ...keys);
    if (n?.value !== undefined && isFieldError(n.value)) rec.fieldErrors.push(`${keys.join('.')}=${n.value}`);
    return n?.value;
  };
  const v = (...keys: string[]) => val(node, ...keys);
  const set = <K extends keyof GpuRecord>(k: K, x: GpuRecord[K] | undefined) => {
    if (x !== undefined) rec[k] = x;
  };
  set('name', clean(v('Product Name')));
  set('uuid', clean(v('GPU UUID')));
  set('serial', clean(v('Serial Number')));
  set('minorNumber', toCount(v('Minor Number')));
  set('persistenceMode', toBool(v('Persistence Mode')));
  set('recoveryAction', clean(v('GPU Recovery Action')));
  set('resetRequired', toBool(v('GPU Reset Status', 'Reset Required')));
  set('drainAndResetRecommended', toBool(v('GPU Reset Status', 'Drain and Reset Recommended')));
  const pciBus = normalizeBusId(v('PCI', 'Bus Id'));
  if (pciBus && !rec.busId) rec.busId = pciBus;

  rec.mig = { current: toBool(v('MIG Mode', 'Current')), pending: toBool(v('MIG Mode', 'Pending')) };

  const link = child(node, 'PCI', 'GPU Link Info');
  rec.pcie = {
    genCurrent: toNumber(val(link, 'PCIe Generation', 'Current')),
    genMax: toNumber(val(link, 'PCIe Generation', 'Max')),
    widthCurrent: toNumber(val(link, 'Link Width', 'Current')),
    widthMax: toNumber(val(link, 'Link Width', 'Max')),
    replays: toCount(v('PCI', 'Replays Since Reset')),
    replayRollovers: toCount(v('PCI', 'Replay Number Rollovers')),
  };

  const reasons = anyChild(node, 'Clocks Event Reasons', 'Clocks Throttle Reasons');
  const hw = child(reasons, 'HW Slowdown');
  // The HW thermal / power brake lines are indented below "HW Slowdown" in the text layout.
  const sub = (k: string) => toBool(val(hw, k) ?? val(reasons, k));
  rec.clockEvents = {
    gpuIdle: toBool(val(reasons, 'Idle')),
    swPowerCap: toBool(val(reasons, 'SW Power Cap')),
    hwSlowdown: toBool(hw?.value),
    hwThermalSlowdown: sub('HW Thermal Slowdown'),
    hwPowerBrakeSlowdown: sub('HW Power Brake Slowdown'),
    swThermalSlowdown: toBool(val(reasons, 'SW Thermal Slowdown')),
    syncBoost: toBool(val(reasons, 'Sync Boost')),
  };

  rec.memory = { usedMiB: toNumber(v('FB Memory Usage', 'Used')), totalMiB: toNumber(v('FB Memory Usage', 'Total')) };
  rec.utilization = { gpu: toNumber(v('Utilization', 'Gpu')), memory: toNumber(v('Utilization', 'Memory')) };

  const eccMode = child(node, 'ECC Mode');
  const eccErrors = child(node, 'ECC Errors');
  rec.ecc = {
    enabled: toBool(val(eccMode, 'Current')),
    pendingEnabled: toBool(val(eccMode, 'Pending')),
    volatile: eccScope(child(eccErrors, 'Volatile'), val),
    aggregate: eccScope(child(eccErrors, 'Aggregate'), val),
  };

  const retired = child(node, 'Retired Pages');
  // Old drivers nest counts as "Single Bit ECC : N" directly; some print a "Count" child.
  const retiredCount = (k: string) => toCount(val(retired, k) || val(retired, k, 'Count'));
  rec.retiredPages = {
    sbe: retiredCount('Single Bit ECC'),
    dbe: retiredCount('Double Bit ECC'),
    pending: toBool(
      val(retired, 'Pending Page Blacklist') ?? val(retired, 'Pending Page Retirement') ?? val(retired, 'Pending'),
    ),
  };

  const rows = child(node, 'Remapped Rows');
  if (rows && rows.children.length > 0) {
    rec.remappedRows = {
      correctable: toCount(val(rows, 'Correctable Error')),
      uncorrectable: toCount(val(rows, 'Uncorrectable Error')),
      pending: toBool(val(rows, 'Pending')),
      failure: toBool(val(rows, 'Remapping Failure Occurred')),
    };
  }

  const t = child(node, 'Temperature');
  rec.temperature = {
    gpu: toNumber(val(t, 'GPU Current Temp')),
    memory: toNumber(val(t, 'Memory Current Temp')),
    slowdown: toNumber(val(t, 'GPU Slowdown Temp')),
    shutdown: toNumber(val(t, 'GPU Shutdown Temp')),
    tlimitMargin: toNumber(val(t, 'GPU T.Limit Temp')),
    slowdownTlimit: toNumber(val(t, 'GPU Slowdown T.Limit Temp')),
    shutdownTlimit: toNumber(val(t, 'GPU Shutdown T.Limit Temp')),
  };

  const p = anyChild(node, 'GPU Power Readings', 'Power Readings');
  rec.power = {
    draw:
      toNumber(val(p, 'Power Draw')) ??
      toNumber(val(p, 'Instantaneous Power Draw')) ??
      toNumber(val(p, 'Average Power Draw')),
    limit:
      toNumber(val(p, 'Current Power Limit')) ??
      toNumber(val(p, 'Enforced Power Limit')) ??
      toNumber(val(p, 'Power Limit')),
  };

  const fabric = child(node, 'Fabric');
  if (fabric) {
    const state = clean(val(fabric, 'State'));
    const status = clean(val(fabric, 'Status'));
    const health = clean(val(fabric, 'Health', 'Summary'));
    if (state !== undefined || status !== undefined || health !== undefined) rec.fabric = { state, status, health };
  }
  return rec;
}

/** True when a -q text output has only some sections (e.g. `-q -d PAGE_RETIREMENT`). */
function looksPartial(gpuNodes: TextNode[]): boolean {
  return gpuNodes.length > 0 && gpuNodes.every((g) => !child(g, 'Product Name') && !child(g, 'PCI'));
}

/** Parse `nvidia-smi -q` text; throws KeelsonError('PARSE_FAILED') when it is not that. */
export function parseSmiText(text: string): GpuSnapshot {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  if (!lines.some((l) => BANNER.test(l))) {
    throw new KeelsonError('PARSE_FAILED', 'nvidia-smi -q text: no "==NVSMI LOG==" banner');
  }
  const tree = buildTree(lines.filter((l) => !BANNER.test(l)));
  const snap: GpuSnapshot = { format: 'text', gpus: [], partial: false, issues: [] };
  const header = (k: string) => tree.children.find((c) => norm(c.key) === norm(k))?.value;
  const driverVersion = clean(header('Driver Version'));
  const cudaVersion = clean(header('CUDA Version'));
  if (driverVersion !== undefined) snap.driverVersion = driverVersion;
  if (cudaVersion !== undefined) snap.cudaVersion = cudaVersion;
  const attached = toCount(header('Attached GPUs'));
  if (attached !== undefined) snap.attachedGpus = attached;

  const gpuNodes: { node: TextNode; busId?: string }[] = [];
  for (const c of tree.children) {
    const m = c.value === undefined ? GPU_LINE.exec(c.key) : null;
    if (m) gpuNodes.push({ node: c, busId: normalizeBusId(m[1]) });
  }
  snap.gpus = gpuNodes.map((g, i) => {
    const rec = gpuFromText(g.node, g.busId, i);
    if (driverVersion !== undefined) rec.driverVersion = driverVersion;
    if (cudaVersion !== undefined) rec.cudaVersion = cudaVersion;
    return rec;
  });
  snap.partial = looksPartial(gpuNodes.map((g) => g.node));
  return snap;
}
