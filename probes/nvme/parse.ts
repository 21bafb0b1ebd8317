/**
 * Pure parsers for nvme-cli JSON: `nvme list -o json` (the flat `Devices[]` layout of nvme-cli
 * 1.x / early 2.x and the nested `Devices[].Subsystems[].Controllers[].Namespaces[]` layout of
 * 2.x) and `nvme smart-log <dev> -o json` (critical_warning as a number or, in newer nvme-cli,
 * as an object; temperature in Kelvin; counters as numbers or big decimal strings).
 * Also the SMART health record shared with the smartctl parser.
 */
import { KeelsonError } from '../../core/errors.ts';
import { firstNumber, isObject, type JsonObject, parseJsonObject, toNumber, toText } from './json-fields.ts';

/** One namespace (block device) of a controller. */
export interface NvmeNamespace {
  /** e.g. `nvme0n1`. */
  name: string;
  nsid?: number;
  sizeBytes?: number;
  usedBytes?: number;
}

/** One NVMe controller as `nvme list` describes it. */
export interface NvmeController {
  /** Controller character device name, e.g. `nvme0`. */
  name: string;
  model?: string;
  serial?: string;
  firmware?: string;
  transport?: string;
  /** PCI address for PCIe controllers. */
  address?: string;
  namespaces: NvmeNamespace[];
}

/** Parsed `nvme list -o json`. */
export interface NvmeList {
  layout: 'flat' | 'nested';
  controllers: NvmeController[];
}

/** The bits of the SMART critical_warning byte (NVMe base spec, log page 02h, byte 0). */
export const CRITICAL_WARNING_BITS = [
  { mask: 0x01, name: 'spare_below_threshold', text: 'available spare below threshold' },
  { mask: 0x02, name: 'temperature', text: 'temperature above or below threshold' },
  { mask: 0x04, name: 'reliability_degraded', text: 'NVM subsystem reliability degraded' },
  { mask: 0x08, name: 'read_only', text: 'media placed in read-only mode' },
  { mask: 0x10, name: 'volatile_backup_failed', text: 'volatile memory backup device failed' },
  { mask: 0x20, name: 'pmr_read_only', text: 'persistent memory region read-only' },
] as const;

/** Name of one critical_warning bit. */
export type CriticalWarningBit = (typeof CRITICAL_WARNING_BITS)[number]['name'];

/** SMART / health information of one controller, tool-independent, temperatures in Celsius. */
export interface SmartHealth {
  /** The critical_warning byte. */
  criticalWarning: number;
  temperatureC?: number;
  /** Available spare, percent. */
  availableSpare?: number;
  /** Available spare threshold, percent. */
  availableSpareThreshold?: number;
  /** Percentage of rated endurance used (may exceed 100). */
  percentageUsed?: number;
  mediaErrors?: number;
  errorLogEntries?: number;
  powerOnHours?: number;
  unsafeShutdowns?: number;
}

/** The named bits set in a critical_warning byte. */
export function decodeCriticalWarning(value: number): CriticalWarningBit[] {
  return CRITICAL_WARNING_BITS.filter((b) => (value & b.mask) !== 0).map((b) => b.name);
}

const NAMESPACE_DEVICE = /^(nvme\d+)(?:c\d+)?n\d+(?:p\d+)?$/;

/** The controller name (`nvme0`) of a device path like `/dev/nvme0n1`, or the basename when it does not look like one. */
export function controllerOfDevice(devicePath: string): string {
  const base = devicePath.split('/').pop() ?? devicePath;
  const m = NAMESPACE_DEVICE.exec(base);
  if (m?.[1]) return m[1];
  return base;
}

function addNamespace(byName: Map<string, NvmeController>, ctrl: NvmeController): NvmeController {
  const existing = byName.get(ctrl.name);
  if (existing) {
    existing.namespaces.push(...ctrl.namespaces);
    return existing;
  }
  byName.set(ctrl.name, ctrl);
  return ctrl;
}

function namespaceOf(o: JsonObject, nameKey: string): NvmeNamespace | undefined {
  const raw = o[nameKey];
  const name = typeof raw === 'string' ? (raw.split('/').pop() ?? raw) : undefined;
  if (!name) return undefined;
  const ns: NvmeNamespace = { name };
  const nsid = toNumber(o.NSID) ?? toNumber(o.NameSpace);
  if (nsid !== undefined) ns.nsid = nsid;
  const size = toNumber(o.PhysicalSize);
  if (size !== undefined) ns.sizeBytes = size;
  const used = toNumber(o.UsedBytes);
  if (used !== undefined) ns.usedBytes = used;
  return ns;
}

function identity(o: JsonObject): Pick<NvmeController, 'model' | 'serial' | 'firmware' | 'transport' | 'address'> {
  const out: Pick<NvmeController, 'model' | 'serial' | 'firmware' | 'transport' | 'address'> = {};
  const model = toText(o.ModelNumber);
  if (model) out.model = model;
  const serial = toText(o.SerialNumber);
  if (serial) out.serial = serial;
  const fw = toText(o.Firmware);
  if (fw) out.firmware = fw;
  const transport = toText(o.Transport);
  if (transport) out.transport = transport;
  const address = toText(o.Address);
  if (address) out.address = address;
  return out;
}

function parseNested(devices: unknown[], byName: Map<string, NvmeController>): void {
  for (const host of devices) {
    if (!isObject(host) || !Array.isArray(host.Subsystems)) continue;
    for (const subsys of host.Subsystems) {
      if (!isObject(subsys) || !Array.isArray(subsys.Controllers)) continue;
      for (const c of subsys.Controllers) {
        if (!isObject(c)) continue;
        const name = toText(c.Controller);
        if (!name) continue;
        const namespaces: NvmeNamespace[] = [];
        for (const n of Array.isArray(c.Namespaces) ? c.Namespaces : []) {
          const ns = isObject(n) ? namespaceOf(n, 'NameSpace') : undefined;
          if (ns) namespaces.push(ns);
        }
        addNamespace(byName, { name, ...identity(c), namespaces });
      }
    }
  }
}

function parseFlat(devices: unknown[], byName: Map<string, NvmeController>): void {
  for (const d of devices) {
    if (!isObject(d)) continue;
    const devicePath = toText(d.DevicePath);
    if (!devicePath) continue;
    const ns = namespaceOf(d, 'DevicePath');
    addNamespace(byName, { name: controllerOfDevice(devicePath), ...identity(d), namespaces: ns ? [ns] : [] });
  }
}

/** Parse `nvme list -o json` in either layout; `{"Devices":[]}` is a valid empty list. */
export function parseNvmeList(text: string): NvmeList {
  const root = parseJsonObject(text, 'nvme list');
  const devices = root.Devices;
  if (!Array.isArray(devices)) throw new KeelsonError('PARSE_FAILED', 'nvme list: no "Devices" array in the output');
  const nested = devices.some((d) => isObject(d) && Array.isArray(d.Subsystems));
  const byName = new Map<string, NvmeController>();
  if (nested) parseNested(devices, byName);
  else parseFlat(devices, byName);
  if (devices.length > 0 && byName.size === 0) {
    throw new KeelsonError('PARSE_FAILED', 'nvme list: "Devices" entries name no controller or device path');
  }
  return { layout: nested ? 'nested' : 'flat', controllers: [...byName.values()] };
}

/** Celsius from an nvme-cli temperature: a number is Kelvin; strings like "51 C", "324 K" or "51°C (324 K)" are read by unit. */
export function nvmeCliTemperatureC(v: unknown): number | undefined {
  const kelvin = toNumber(v);
  if (kelvin !== undefined) return kelvin > 0 ? kelvin - 273 : undefined;
  if (typeof v !== 'string') return undefined;
  const c = /(-?\d+(?:\.\d+)?)\s*°?\s*C\b/.exec(v);
  if (c?.[1]) return Number(c[1]);
  const k = /(\d+(?:\.\d+)?)\s*K\b/.exec(v);
  if (k?.[1]) return Number(k[1]) - 273;
  return undefined;
}

const OBJECT_WARNING_FLAGS: readonly [string, number][] = [
  ['available_spare', 0x01],
  ['temp_threshold', 0x02],
  ['reliability_degraded', 0x04],
  ['ro', 0x08],
  ['vmbu_failed', 0x10],
  ['pmr_ro', 0x20],
];

/** The critical_warning byte from a number, a numeric string ("0x04" too) or nvme-cli 2.x's object form. */
function criticalWarningOf(v: unknown): number | undefined {
  if (typeof v === 'string' && /^\s*0x[0-9a-f]+\s*$/i.test(v)) return Number.parseInt(v.trim(), 16) & 0xff;
  const n = toNumber(v);
  if (n !== undefined) return Number.isInteger(n) && n >= 0 ? n & 0xff : undefined;
  if (!isObject(v)) return undefined;
  const value = criticalWarningOf(v.value);
  if (value !== undefined) return value;
  let bits = 0;
  let seen = false;
  for (const [key, mask] of OBJECT_WARNING_FLAGS) {
    const flag = toNumber(v[key]);
    if (flag === undefined) continue;
    seen = true;
    if (flag !== 0) bits |= mask;
  }
  return seen ? bits : undefined;
}

/** Fill the optional SMART fields present in `o` (keys of both nvme-cli and smartctl spellings). */
export function smartFields(o: JsonObject, criticalWarning: number, temperatureC: number | undefined): SmartHealth {
  const h: SmartHealth = { criticalWarning };
  if (temperatureC !== undefined) h.temperatureC = temperatureC;
  const fields: [keyof SmartHealth, readonly string[]][] = [
    ['availableSpare', ['avail_spare', 'available_spare']],
    ['availableSpareThreshold', ['spare_thresh', 'available_spare_threshold']],
    ['percentageUsed', ['percent_used', 'percentage_used']],
    ['mediaErrors', ['media_errors']],
    ['errorLogEntries', ['num_err_log_entries']],
    ['powerOnHours', ['power_on_hours']],
    ['unsafeShutdowns', ['unsafe_shutdowns']],
  ];
  for (const [field, keys] of fields) {
    const n = firstNumber(o, keys);
    if (n !== undefined && n >= 0) h[field] = n;
  }
  return h;
}

/** Parse `nvme smart-log <dev> -o json` of any nvme-cli version. */
export function parseSmartLog(text: string): SmartHealth {
  const o = parseJsonObject(text, 'nvme smart-log');
  if (!('critical_warning' in o)) {
    throw new KeelsonError('PARSE_FAILED', 'nvme smart-log: no "critical_warning" field (not a SMART log)');
  }
  const cw = criticalWarningOf(o.critical_warning);
  if (cw === undefined) {
    throw new KeelsonError(
      'PARSE_FAILED',
      `nvme smart-log: unreadable critical_warning ${String(JSON.stringify(o.critical_warning)).slice(0, 80)}`,
    );
  }
  return smartFields(o, cw, nvmeCliTemperatureC(o.temperature));
}
