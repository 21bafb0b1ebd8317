/**
 * The one shape every nvidia-smi format is parsed into (`GpuRecord` per GPU, `GpuSnapshot` per
 * run), plus the small value readers all the gpu parsers share: "N/A"-style cells become
 * undefined, "ERR!"/"Unknown Error" cells are remembered as field errors, numbers keep their
 * meaning but lose their units, and PCI bus ids get one spelling.
 */

/** ECC error counts of one scope (volatile = since the last driver load, aggregate = lifetime). */
export interface EccCounts {
  /** Correctable (single-bit) errors over all memories. */
  sbe?: number;
  /** Uncorrectable (double-bit) errors over all memories. */
  dbe?: number;
  dramCorrectable?: number;
  dramUncorrectable?: number;
  sramCorrectable?: number;
  sramUncorrectable?: number;
}

/** Clock event reasons (called throttle reasons before driver 535); true = Active. */
export interface ClockEventReasons {
  gpuIdle?: boolean;
  swPowerCap?: boolean;
  hwSlowdown?: boolean;
  hwThermalSlowdown?: boolean;
  hwPowerBrakeSlowdown?: boolean;
  swThermalSlowdown?: boolean;
  syncBoost?: boolean;
}

/** Temperatures in °C. Hopper/Ada report margins to T.Limit instead of absolute thresholds. */
export interface GpuTemperature {
  gpu?: number;
  memory?: number;
  /** Absolute slowdown threshold. */
  slowdown?: number;
  /** Absolute shutdown threshold. */
  shutdown?: number;
  /** Current margin below T.Limit (positive = cooler than the limit). */
  tlimitMargin?: number;
  /** Margin at which slowdown starts (e.g. -2 means 2 °C past T.Limit). */
  slowdownTlimit?: number;
  /** Margin at which the GPU shuts down. */
  shutdownTlimit?: number;
}

/** Everything the gpu rules judge about one GPU; absent fields were not reported. */
export interface GpuRecord {
  /** nvidia-smi index (from the output's order for XML and -q text; printed by CSV, table, nvlink). */
  index?: number;
  /** PCI bus id as `DDDDDDDD:BB:DD.F`, upper case. */
  busId?: string;
  name?: string;
  uuid?: string;
  serial?: string;
  minorNumber?: number;
  driverVersion?: string;
  cudaVersion?: string;
  persistenceMode?: boolean;
  ecc: { enabled?: boolean; pendingEnabled?: boolean; volatile: EccCounts; aggregate: EccCounts };
  retiredPages: { sbe?: number; dbe?: number; pending?: boolean };
  /** Ampere and newer; undefined where the GPU does not remap rows (or MIG hides it). */
  remappedRows?: { correctable?: number; uncorrectable?: number; pending?: boolean; failure?: boolean };
  /** NVML recovery action flag (`None`, `Reset`, `Reboot`, `Drain P2P`, `Drain and Reset`). */
  recoveryAction?: string;
  /** 535-era "GPU Reset Status" flags. */
  resetRequired?: boolean;
  drainAndResetRecommended?: boolean;
  clockEvents: ClockEventReasons;
  temperature: GpuTemperature;
  pcie: {
    genCurrent?: number;
    genMax?: number;
    widthCurrent?: number;
    widthMax?: number;
    replays?: number;
    replayRollovers?: number;
  };
  /** Percent. */
  utilization: { gpu?: number; memory?: number };
  /** Watts. */
  power: { draw?: number; limit?: number };
  memory: { usedMiB?: number; totalMiB?: number };
  mig: { current?: boolean; pending?: boolean };
  fabric?: { state?: string; status?: string; health?: string };
  /** Fields nvidia-smi could not read ("ERR!", "Unknown Error"), as `field=value`. */
  fieldErrors: string[];
}

/** A problem nvidia-smi itself printed instead of (or beside) data. */
export interface SmiIssue {
  kind: 'no_devices' | 'lost' | 'nvml_init' | 'inforom' | 'unknown_error';
  /** Bus id named in the message, normalised. */
  busId?: string;
  line: string;
}

/** One nvidia-smi run, parsed. */
export interface GpuSnapshot {
  format: 'xml' | 'text' | 'csv' | 'table';
  driverVersion?: string;
  cudaVersion?: string;
  /** What the header says (`attached_gpus`, `Attached GPUs`). */
  attachedGpus?: number;
  gpus: GpuRecord[];
  /** Only some sections were printed (`-q -d PAGE_RETIREMENT`): absent fields say nothing. */
  partial: boolean;
  issues: SmiIssue[];
}

/** A record with nothing known yet. */
export function emptyRecord(): GpuRecord {
  return {
    ecc: { volatile: {}, aggregate: {} },
    retiredPages: {},
    clockEvents: {},
    temperature: {},
    pcie: {},
    utilization: {},
    power: {},
    memory: {},
    mig: {},
    fieldErrors: [],
  };
}

const ABSENT = new Set([
  '',
  'n/a',
  'not supported',
  'requested functionality has been deprecated',
  'not available',
  'unknown',
  'insufficient permissions',
]);

/** True for the values nvidia-smi prints when it failed to read a field. */
export function isFieldError(raw: string): boolean {
  const v = raw
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase();
  return v === 'err!' || v === 'unknown error' || v === 'gpu is lost';
}

/** A cell's text, or undefined for N/A, [Not Supported], deprecated, error and empty cells. */
export function clean(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const v = raw.trim();
  const inner = v.replace(/^\[(.*)\]$/, '$1').trim();
  if (ABSENT.has(inner.toLowerCase()) || isFieldError(v)) return undefined;
  return v;
}

/** The leading number of a cell ("33 C", "50.60 W", "16x", "-2 C"), or undefined. */
export function toNumber(raw: string | undefined): number | undefined {
  const v = clean(raw);
  if (v === undefined) return undefined;
  const m = /^[+-]?\d+(?:\.\d+)?/.exec(v);
  if (!m) return undefined;
  const n = Number(m[0]);
  return Number.isFinite(n) ? n : undefined;
}

/** An integer count cell, or undefined. */
export function toCount(raw: string | undefined): number | undefined {
  const n = toNumber(raw);
  return n !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** Enabled/Disabled, Yes/No, Active/Not Active, On/Off as a boolean, or undefined. */
export function toBool(raw: string | undefined): boolean | undefined {
  const v = clean(raw)?.toLowerCase();
  if (v === undefined) return undefined;
  if (v === 'enabled' || v === 'yes' || v === 'active' || v === 'on' || v === 'true') return true;
  if (v === 'disabled' || v === 'no' || v === 'not active' || v === 'off' || v === 'false') return false;
  return undefined;
}

/** `0008:00:00.0`, `00000000:19:00.0`, `0000:19:00.0` → `00000008:00:00.0` style, or undefined. */
export function normalizeBusId(raw: string | undefined): string | undefined {
  const v = raw?.trim();
  if (!v) return undefined;
  const m = /^(?:([0-9a-fA-F]{1,8}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\.([0-7])$/.exec(v);
  if (!m) return undefined;
  const [, dom = '0', bus = '0', dev = '0', fn = '0'] = m;
  return `${dom.padStart(8, '0')}:${bus.padStart(2, '0')}:${dev.padStart(2, '0')}.${fn}`.toUpperCase();
}

/** Sum of the defined numbers, or undefined when none is defined. */
export function sumDefined(...values: (number | undefined)[]): number | undefined {
  let total: number | undefined;
  for (const v of values) if (v !== undefined) total = (total ?? 0) + v;
  return total;
}

/** The component a finding about this GPU is filed under. */
export function gpuComponent(gpu: Pick<GpuRecord, 'index' | 'busId'>): string {
  if (gpu.index !== undefined) return `gpu:${gpu.index}`;
  if (gpu.busId !== undefined) return `gpu:${gpu.busId}`;
  return 'gpu:unknown';
}
