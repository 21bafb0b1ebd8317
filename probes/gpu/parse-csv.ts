/**
 * Parser for `nvidia-smi --query-gpu=<fields> --format=csv` and the field lists the probe asks
 * for. The header row names the fields (units in brackets, e.g. `memory.used [MiB]`, are
 * dropped); `[N/A]`, `[Not Supported]` and `[Requested functionality has been deprecated]`
 * cells become undefined. Old drivers only know `clocks_throttle_reasons.*`, new ones
 * `clocks_event_reasons.*`; both are read.
 */
import { KeelsonError } from '../../core/errors.ts';
import {
  clean,
  emptyRecord,
  type GpuRecord,
  type GpuSnapshot,
  isFieldError,
  normalizeBusId,
  toBool,
  toCount,
  toNumber,
} from './record.ts';

const COMMON_FIELDS = [
  'index',
  'pci.bus_id',
  'name',
  'uuid',
  'serial',
  'driver_version',
  'persistence_mode',
  'ecc.mode.current',
  'ecc.mode.pending',
  'ecc.errors.corrected.volatile.total',
  'ecc.errors.uncorrected.volatile.total',
  'ecc.errors.corrected.aggregate.total',
  'ecc.errors.uncorrected.aggregate.total',
  'retired_pages.single_bit_ecc.count',
  'retired_pages.double_bit.count',
  'retired_pages.pending',
  'temperature.gpu',
  'pcie.link.gen.current',
  'pcie.link.gen.max',
  'pcie.link.width.current',
  'pcie.link.width.max',
  'utilization.gpu',
  'utilization.memory',
  'power.draw',
  'power.limit',
  'memory.used',
  'memory.total',
  'mig.mode.current',
  'mig.mode.pending',
] as const;

const reasons = (prefix: string) =>
  [
    'gpu_idle',
    'sw_power_cap',
    'hw_slowdown',
    'hw_thermal_slowdown',
    'hw_power_brake_slowdown',
    'sw_thermal_slowdown',
  ].map((r) => `${prefix}.${r}`);

/** The fields the probe asks `--query-gpu` for (drivers 550 and newer). */
export const GPU_QUERY_FIELDS: readonly string[] = [
  ...COMMON_FIELDS,
  ...reasons('clocks_event_reasons'),
  'remapped_rows.correctable',
  'remapped_rows.uncorrectable',
  'remapped_rows.pending',
  'remapped_rows.failure',
  'temperature.gpu.tlimit',
  'temperature.memory',
  'gpu_recovery_action',
  'fabric.state',
  'fabric.status',
];

/** Fallback when the driver rejects a newer field: R535 names (event reasons, remapped rows). */
export const GPU_QUERY_FIELDS_R535: readonly string[] = [
  ...COMMON_FIELDS,
  ...reasons('clocks_event_reasons'),
  'remapped_rows.correctable',
  'remapped_rows.uncorrectable',
  'remapped_rows.pending',
  'remapped_rows.failure',
];

/** Last fallback for old drivers: throttle-reason names, no remapped rows. */
export const GPU_QUERY_FIELDS_LEGACY: readonly string[] = [...COMMON_FIELDS, ...reasons('clocks_throttle_reasons')];

/** Split one CSV line (nvidia-smi separates with ", " and quotes nothing, but be tolerant). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') {
      if (quoted && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
    } else if (ch === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/** `memory.used [MiB]` → `memory.used`. */
function fieldName(header: string): string {
  return header.replace(/\s*\[[^\]]*\]\s*$/, '').trim();
}

const KNOWN = new Set<string>([...GPU_QUERY_FIELDS, ...GPU_QUERY_FIELDS_LEGACY, 'timestamp', 'count', 'pci.device_id']);

function isHeader(cells: string[]): boolean {
  return cells.filter((c) => KNOWN.has(fieldName(c))).length >= 2;
}

/** True when a line is a `--query-gpu` CSV header (at least two known field names). */
export function isQueryCsvHeader(line: string): boolean {
  return line.includes(',') && isHeader(splitCsv(line));
}

function recordFromRow(row: Map<string, string>): GpuRecord {
  const rec = emptyRecord();
  const get = (k: string): string | undefined => {
    const v = row.get(k);
    if (v !== undefined && isFieldError(v)) rec.fieldErrors.push(`${k}=${v}`);
    return v;
  };
  const set = <K extends keyof GpuRecord>(k: K, x: GpuRecord[K] | undefined) => {
    if (x !== undefined) rec[k] = x;
  };
  set('index', toCount(get('index')));
  set('busId', normalizeBusId(get('pci.bus_id')));
  set('name', clean(get('name')));
  set('uuid', clean(get('uuid')));
  set('serial', clean(get('serial')));
  set('driverVersion', clean(get('driver_version')));
  set('persistenceMode', toBool(get('persistence_mode')));
  set('recoveryAction', clean(get('gpu_recovery_action')));
  rec.ecc = {
    enabled: toBool(get('ecc.mode.current')),
    pendingEnabled: toBool(get('ecc.mode.pending')),
    volatile: {
      sbe: toCount(get('ecc.errors.corrected.volatile.total')),
      dbe: toCount(get('ecc.errors.uncorrected.volatile.total')),
    },
    aggregate: {
      sbe: toCount(get('ecc.errors.corrected.aggregate.total')),
      dbe: toCount(get('ecc.errors.uncorrected.aggregate.total')),
    },
  };
  for (const scope of [rec.ecc.volatile, rec.ecc.aggregate]) {
    if (scope.sbe === undefined) delete scope.sbe;
    if (scope.dbe === undefined) delete scope.dbe;
  }
  rec.retiredPages = {
    sbe: toCount(get('retired_pages.single_bit_ecc.count')),
    dbe: toCount(get('retired_pages.double_bit.count')),
    pending: toBool(get('retired_pages.pending')),
  };
  if (row.has('remapped_rows.pending') || row.has('remapped_rows.failure')) {
    const rows = {
      correctable: toCount(get('remapped_rows.correctable')),
      uncorrectable: toCount(get('remapped_rows.uncorrectable')),
      pending: toBool(get('remapped_rows.pending')),
      failure: toBool(get('remapped_rows.failure')),
    };
    if (Object.values(rows).some((v) => v !== undefined)) rec.remappedRows = rows;
  }
  const reason = (r: string) => toBool(get(`clocks_event_reasons.${r}`)) ?? toBool(get(`clocks_throttle_reasons.${r}`));
  rec.clockEvents = {
    gpuIdle: reason('gpu_idle'),
    swPowerCap: reason('sw_power_cap'),
    hwSlowdown: reason('hw_slowdown'),
    hwThermalSlowdown: reason('hw_thermal_slowdown'),
    hwPowerBrakeSlowdown: reason('hw_power_brake_slowdown'),
    swThermalSlowdown: reason('sw_thermal_slowdown'),
    syncBoost: reason('sync_boost'),
  };
  rec.temperature = {
    gpu: toNumber(get('temperature.gpu')),
    memory: toNumber(get('temperature.memory')),
    tlimitMargin: toNumber(get('temperature.gpu.tlimit')),
  };
  rec.pcie = {
    genCurrent: toNumber(get('pcie.link.gen.current')),
    genMax: toNumber(get('pcie.link.gen.max')),
    widthCurrent: toNumber(get('pcie.link.width.current')),
    widthMax: toNumber(get('pcie.link.width.max')),
  };
  rec.utilization = { gpu: toNumber(get('utilization.gpu')), memory: toNumber(get('utilization.memory')) };
  rec.power = {
    draw: toNumber(get('power.draw')) ?? toNumber(get('power.draw.instant')),
    limit: toNumber(get('power.limit')) ?? toNumber(get('enforced.power.limit')),
  };
  rec.memory = { usedMiB: toNumber(get('memory.used')), totalMiB: toNumber(get('memory.total')) };
  rec.mig = { current: toBool(get('mig.mode.current')), pending: toBool(get('mig.mode.pending')) };
  if (row.has('fabric.state')) {
    const state = clean(get('fabric.state'));
    const status = clean(get('fabric.status'));
    const health = clean(get('fabric.health.summary'));
    if (state !== undefined || status !== undefined || health !== undefined) rec.fabric = { state, status, health };
  }
  return rec;
}

/**
 * Parse `--query-gpu` CSV. With a header row the header names the fields; without one
 * (`noheader`) pass the field list that was asked for. Throws KeelsonError('PARSE_FAILED').
 */
export function parseSmiCsv(text: string, fields?: readonly string[]): GpuSnapshot {
  const lines = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const first = lines[0];
  if (first === undefined) throw new KeelsonError('PARSE_FAILED', 'nvidia-smi CSV: empty output');
  const firstCells = splitCsv(first);
  let names: string[];
  let dataLines: string[];
  if (isHeader(firstCells)) {
    names = firstCells.map(fieldName);
    dataLines = lines.slice(1);
  } else if (fields && fields.length > 0) {
    names = [...fields];
    dataLines = lines;
  } else {
    throw new KeelsonError('PARSE_FAILED', `nvidia-smi CSV: no header row naming query fields: ${first.slice(0, 120)}`);
  }
  const gpus: GpuRecord[] = [];
  for (const line of dataLines) {
    const cells = splitCsv(line);
    if (cells.length !== names.length) continue;
    const row = new Map<string, string>();
    names.forEach((n, i) => {
      row.set(n, cells[i] ?? '');
    });
    gpus.push(recordFromRow(row));
  }
  if (dataLines.length > 0 && gpus.length === 0) {
    throw new KeelsonError('PARSE_FAILED', `nvidia-smi CSV: no row has the ${names.length} cells the header names`);
  }
  const snap: GpuSnapshot = { format: 'csv', gpus, partial: false, issues: [] };
  const driver = gpus.find((g) => g.driverVersion !== undefined)?.driverVersion;
  if (driver !== undefined) snap.driverVersion = driver;
  const firstRow = dataLines[0] === undefined ? undefined : splitCsv(dataLines[0]);
  const countAt = names.indexOf('count');
  const count = countAt >= 0 ? toCount(firstRow?.[countAt]) : undefined;
  if (count !== undefined) snap.attachedGpus = count;
  gpus.forEach((g, i) => {
    if (g.index === undefined) g.index = i;
  });
  return snap;
}
