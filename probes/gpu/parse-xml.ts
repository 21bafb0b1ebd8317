/**
 * Parser for `nvidia-smi -q -x` (nvsmi_device DTD v10 to v13). Tag values stay strings
 * (`parseTagValue: false`) so "12.10" and serials with leading zeros survive; `<gpu>` is always
 * an array. Old (`single_bit`/`double_bit`, `clocks_throttle_reasons`) and new (`dram_*`/`sram_*`,
 * `clocks_event_reasons`, `gpu_recovery_action`) layouts map onto the same GpuRecord.
 *
 * Speed: a real 8-GPU document is ~400 KB, two thirds of it `<supported_clocks>`. The usual path
 * splits the document into its `<gpu>` elements and validates/parses each on its own (skipping the
 * subtrees no rule reads), so `parseSmiXmlSteps` can hand control back between GPUs; any document
 * that does not split cleanly goes through the original whole-document path, so results and errors
 * are the same either way.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
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

type XmlNode = Record<string, unknown>;

const OPTIONS = {
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
} as const;

/** The whole document; `<gpu>` below the root is always an array. */
const parser = new XMLParser({
  ...OPTIONS,
  jPath: true,
  isArray: (_name, jpath) => jpath === 'nvidia_smi_log.gpu',
});

/** Subtrees of a `<gpu>` that no rule reads: kept as raw text instead of parsed (they are most of the bytes). */
const UNREAD_SUBTREES = ['supported_clocks', 'processes', 'accounted_processes'];

/** One `<gpu>` element alone; nothing below it is forced into an array, as in the whole-document parse. */
const gpuParser = new XMLParser({ ...OPTIONS, stopNodes: UNREAD_SUBTREES.map((n) => `gpu.${n}`) });

function asNode(v: unknown): XmlNode | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as XmlNode) : undefined;
}

/** Text of a leaf, whether the parser gave a string or `{ '#text': ... }`. */
function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  const n = asNode(v);
  const t = n?.['#text'];
  return typeof t === 'string' ? t : undefined;
}

/** Reads leaves below one `<gpu>` by path, remembering fields nvidia-smi could not read. */
function reader(gpu: XmlNode, rec: GpuRecord) {
  return (...path: string[]): string | undefined => {
    let cur: unknown = gpu;
    for (const p of path) cur = asNode(cur)?.[p];
    const t = text(cur);
    if (t !== undefined && isFieldError(t)) rec.fieldErrors.push(`${path.join('.')}=${t.trim()}`);
    return t;
  };
}

function eccScope(scope: XmlNode | undefined): EccCounts {
  if (!scope) return {};
  const leaf = (...p: string[]) => {
    let cur: unknown = scope;
    for (const k of p) cur = asNode(cur)?.[k];
    return toCount(text(cur));
  };
  const oldSbe = leaf('single_bit', 'total');
  const oldDbe = leaf('double_bit', 'total');
  const dramCorrectable = leaf('dram_correctable');
  const dramUncorrectable = leaf('dram_uncorrectable');
  const sramCorrectable = leaf('sram_correctable');
  const sramUncorrectable =
    leaf('sram_uncorrectable') ?? sumDefined(leaf('sram_uncorrectable_parity'), leaf('sram_uncorrectable_secded'));
  const out: EccCounts = {
    sbe: oldSbe ?? sumDefined(dramCorrectable, sramCorrectable),
    dbe: oldDbe ?? sumDefined(dramUncorrectable, sramUncorrectable),
  };
  if (dramCorrectable !== undefined) out.dramCorrectable = dramCorrectable;
  if (dramUncorrectable !== undefined) out.dramUncorrectable = dramUncorrectable;
  if (sramCorrectable !== undefined) out.sramCorrectable = sramCorrectable;
  if (sramUncorrectable !== undefined) out.sramUncorrectable = sramUncorrectable;
  if (out.sbe === undefined) delete out.sbe;
  if (out.dbe === undefined) delete out.dbe;
  return out;
}

function gpuFromXml(gpu: XmlNode, position: number, driverVersion?: string, cudaVersion?: string): GpuRecord {
  const rec = emptyRecord();
  const get = reader(gpu, rec);
  rec.index = position;
  const busId = normalizeBusId(get('pci', 'pci_bus_id')) ?? normalizeBusId(text(gpu['@_id']));
  if (busId) rec.busId = busId;
  const set = <K extends keyof GpuRecord>(k: K, v: GpuRecord[K] | undefined) => {
    if (v !== undefined) rec[k] = v;
  };
  set('name', clean(get('product_name')));
  set('uuid', clean(get('uuid')));
  set('serial', clean(get('serial')));
  set('minorNumber', toCount(get('minor_number')));
  set('driverVersion', driverVersion);
  set('cudaVersion', cudaVersion);
  set('persistenceMode', toBool(get('persistence_mode')));
  set('recoveryAction', clean(get('gpu_recovery_action')));
  set('resetRequired', toBool(get('gpu_reset_status', 'reset_required')));
  set('drainAndResetRecommended', toBool(get('gpu_reset_status', 'drain_and_reset_recommended')));

  rec.mig = { current: toBool(get('mig_mode', 'current_mig')), pending: toBool(get('mig_mode', 'pending_mig')) };

  const link = ['pci', 'pci_gpu_link_info'];
  rec.pcie = {
    genCurrent: toNumber(get(...link, 'pcie_gen', 'current_link_gen')),
    genMax: toNumber(get(...link, 'pcie_gen', 'max_link_gen')),
    widthCurrent: toNumber(get(...link, 'link_widths', 'current_link_width')),
    widthMax: toNumber(get(...link, 'link_widths', 'max_link_width')),
    replays: toCount(get('pci', 'replay_counter')),
    replayRollovers: toCount(get('pci', 'replay_rollover_counter')),
  };

  const newStyle = asNode(gpu.clocks_event_reasons) !== undefined;
  const [group, prefix] = newStyle
    ? ['clocks_event_reasons', 'clocks_event_reason_']
    : ['clocks_throttle_reasons', 'clocks_throttle_reason_'];
  const reason = (name: string) => toBool(get(group, `${prefix}${name}`));
  rec.clockEvents = {
    gpuIdle: reason('gpu_idle'),
    swPowerCap: reason('sw_power_cap'),
    hwSlowdown: reason('hw_slowdown'),
    hwThermalSlowdown: reason('hw_thermal_slowdown'),
    hwPowerBrakeSlowdown: reason('hw_power_brake_slowdown'),
    swThermalSlowdown: reason('sw_thermal_slowdown'),
    syncBoost: reason('sync_boost'),
  };

  rec.memory = {
    usedMiB: toNumber(get('fb_memory_usage', 'used')),
    totalMiB: toNumber(get('fb_memory_usage', 'total')),
  };
  rec.utilization = {
    gpu: toNumber(get('utilization', 'gpu_util')),
    memory: toNumber(get('utilization', 'memory_util')),
  };

  const errors = asNode(gpu.ecc_errors);
  rec.ecc = {
    enabled: toBool(get('ecc_mode', 'current_ecc')),
    pendingEnabled: toBool(get('ecc_mode', 'pending_ecc')),
    volatile: eccScope(asNode(errors?.volatile)),
    aggregate: eccScope(asNode(errors?.aggregate)),
  };

  const pendingRetirement = toBool(get('retired_pages', 'pending_retirement'));
  const pendingBlacklist = toBool(get('retired_pages', 'pending_blacklist'));
  rec.retiredPages = {
    sbe: toCount(get('retired_pages', 'multiple_single_bit_retirement', 'retired_count')),
    dbe: toCount(get('retired_pages', 'double_bit_retirement', 'retired_count')),
    pending:
      pendingRetirement === undefined && pendingBlacklist === undefined
        ? undefined
        : pendingRetirement === true || pendingBlacklist === true,
  };

  const rows = asNode(gpu.remapped_rows);
  if (rows) {
    rec.remappedRows = {
      correctable: toCount(get('remapped_rows', 'remapped_row_corr')),
      uncorrectable: toCount(get('remapped_rows', 'remapped_row_unc')),
      pending: toBool(get('remapped_rows', 'remapped_row_pending')),
      failure: toBool(get('remapped_rows', 'remapped_row_failure')),
    };
  }

  rec.temperature = {
    gpu: toNumber(get('temperature', 'gpu_temp')),
    memory: toNumber(get('temperature', 'memory_temp')),
    slowdown: toNumber(get('temperature', 'gpu_temp_slow_threshold')),
    shutdown: toNumber(get('temperature', 'gpu_temp_max_threshold')),
    tlimitMargin: toNumber(get('temperature', 'gpu_temp_tlimit')),
    slowdownTlimit: toNumber(get('temperature', 'gpu_temp_slow_tlimit_threshold')),
    shutdownTlimit: toNumber(get('temperature', 'gpu_temp_max_tlimit_threshold')),
  };

  const powerGroup = asNode(gpu.gpu_power_readings) ? 'gpu_power_readings' : 'power_readings';
  rec.power = {
    draw:
      toNumber(get(powerGroup, 'power_draw')) ??
      toNumber(get(powerGroup, 'instant_power_draw')) ??
      toNumber(get(powerGroup, 'average_power_draw')),
    limit:
      toNumber(get(powerGroup, 'current_power_limit')) ??
      toNumber(get(powerGroup, 'enforced_power_limit')) ??
      toNumber(get(powerGroup, 'power_limit')),
  };

  const fabric = asNode(gpu.fabric);
  if (fabric) {
    const state = clean(get('fabric', 'state'));
    const status = clean(get('fabric', 'status'));
    const health = clean(get('fabric', 'health', 'summary'));
    if (state !== undefined || status !== undefined || health !== undefined) rec.fabric = { state, status, health };
  }
  return rec;
}

/** The document with each top-level `<gpu>...</gpu>` replaced by `<gpu/>`, and those elements in order. */
export interface GpuSplit {
  skeleton: string;
  chunks: string[];
}

/** Constructs in which a `<gpu` could hide from a plain scan; their presence sends a document down the whole-document path. */
const UNSPLITTABLE = /<!--|<!\[CDATA\[|<!ENTITY|<!ELEMENT|<!ATTLIST|<!\[/;

/**
 * Split a document into its `<gpu>` elements, or undefined when it does not split cleanly (a nested
 * or self-closing `<gpu>`, an unclosed one, comments, CDATA, processing instructions, DTD subsets).
 * A clean split is only a candidate: the caller still checks that the skeleton and every chunk are
 * well-formed and that every placeholder landed as a `<gpu>` child of `<nvidia_smi_log>`.
 */
export function splitGpus(body: string): GpuSplit | undefined {
  if (UNSPLITTABLE.test(body) || body.indexOf('<?', 1) >= 0) return undefined;
  const tag = /<(\/?)gpu(?=[\s>/])/g;
  const chunks: string[] = [];
  const parts: string[] = [];
  let from = 0;
  let open = -1;
  for (let m = tag.exec(body); m !== null; m = tag.exec(body)) {
    const end = body.indexOf('>', m.index);
    if (end < 0) return undefined;
    if (m[1] === '') {
      if (open >= 0 || body[end - 1] === '/') return undefined;
      open = m.index;
    } else {
      if (open < 0) return undefined;
      parts.push(body.slice(from, open), '<gpu/>');
      chunks.push(body.slice(open, end + 1));
      from = end + 1;
      open = -1;
    }
    tag.lastIndex = end + 1;
  }
  if (open >= 0) return undefined;
  parts.push(body.slice(from));
  return { skeleton: parts.join(''), chunks };
}

/** Validate and parse the whole `body` (from its first `<`) at once. */
function parseWhole(body: string): GpuSnapshot {
  const valid = XMLValidator.validate(body);
  if (valid !== true) {
    throw new KeelsonError('PARSE_FAILED', `nvidia-smi XML is malformed: ${valid.err.msg} (line ${valid.err.line})`);
  }
  let doc: unknown;
  try {
    doc = parser.parse(body);
  } catch (e) {
    throw new KeelsonError('PARSE_FAILED', `nvidia-smi XML could not be parsed: ${(e as Error).message}`, { cause: e });
  }
  const log = rootOf(doc);
  const gpusRaw = Array.isArray(log.gpu) ? log.gpu : [];
  return snapshotOf(log, gpusRaw);
}

function rootOf(doc: unknown): XmlNode {
  const log = asNode(asNode(doc)?.nvidia_smi_log);
  if (!log) throw new KeelsonError('PARSE_FAILED', 'nvidia-smi XML: <nvidia_smi_log> has no content');
  return log;
}

function snapshotOf(log: XmlNode, gpusRaw: unknown[]): GpuSnapshot {
  const driverVersion = clean(text(log.driver_version));
  const cudaVersion = clean(text(log.cuda_version));
  const gpus = gpusRaw.flatMap((g, i) => {
    const node = asNode(g);
    return node ? [gpuFromXml(node, i, driverVersion, cudaVersion)] : [];
  });
  const snap: GpuSnapshot = { format: 'xml', gpus, partial: false, issues: [] };
  if (driverVersion !== undefined) snap.driverVersion = driverVersion;
  if (cudaVersion !== undefined) snap.cudaVersion = cudaVersion;
  const attached = toCount(text(log.attached_gpus));
  if (attached !== undefined) snap.attachedGpus = attached;
  return snap;
}

/** From the first `<` on; throws unless there is an `<nvidia_smi_log>` element. */
function documentBody(xml: string): string {
  const start = xml.indexOf('<');
  const body = start >= 0 ? xml.slice(start) : '';
  if (!/<nvidia_smi_log[\s>]/.test(body)) {
    throw new KeelsonError('PARSE_FAILED', 'nvidia-smi XML: no <nvidia_smi_log> element');
  }
  return body;
}

/**
 * The reference parse: the whole document validated and parsed at once, in one synchronous stretch.
 * parseSmiXml falls back to it and gives the same answer on every input (a property test checks).
 */
export function parseSmiXmlWhole(xml: string): GpuSnapshot {
  return parseWhole(documentBody(xml));
}

/** Parse one well-formed chunk, or undefined if the parser refuses it. */
function tryParse(p: XMLParser, xml: string): unknown {
  try {
    return p.parse(xml);
  } catch {
    return undefined;
  }
}

/**
 * Parse `nvidia-smi -q -x` output step by step: yields (nothing) after the skeleton and after each
 * GPU, so an async caller can let the event loop run in between; returns what `parseSmiXml` returns
 * and throws what it throws. Pure.
 */
export function* parseSmiXmlSteps(xml: string): Generator<void, GpuSnapshot, void> {
  const body = documentBody(xml);
  const split = splitGpus(body);
  if (!split || XMLValidator.validate(split.skeleton) !== true) return parseWhole(body);
  const log = asNode(asNode(tryParse(parser, split.skeleton))?.nvidia_smi_log);
  const placeholders = log && Array.isArray(log.gpu) ? log.gpu : [];
  if (!log || placeholders.length !== split.chunks.length || placeholders.some((g) => g !== '')) {
    return parseWhole(body);
  }
  const gpusRaw: unknown[] = [];
  for (const chunk of split.chunks) {
    yield;
    if (XMLValidator.validate(chunk) !== true) return parseWhole(body);
    const doc = asNode(tryParse(gpuParser, chunk));
    if (!doc || !('gpu' in doc)) return parseWhole(body);
    gpusRaw.push(doc.gpu);
  }
  return snapshotOf(log, gpusRaw);
}

/** Parse `nvidia-smi -q -x` output; throws KeelsonError('PARSE_FAILED') when it is not that. */
export function parseSmiXml(xml: string): GpuSnapshot {
  const steps = parseSmiXmlSteps(xml);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}
