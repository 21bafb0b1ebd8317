/**
 * Pure parsers for smartmontools JSON: `smartctl -j -a <dev>` (the NVMe
 * `nvme_smart_health_information_log`, temperatures already in Celsius) and `smartctl --scan -j`.
 * smartctl is the fallback when nvme-cli is not installed.
 */
import { KeelsonError } from '../../core/errors.ts';
import { isObject, type JsonObject, parseJsonObject, toNumber, toText } from './json-fields.ts';
import { type SmartHealth, smartFields } from './parse.ts';

/** One device of `smartctl --scan -j`. */
export interface SmartctlScanDevice {
  name: string;
  type?: string;
  protocol?: string;
}

/** Parsed `smartctl -j -a <dev>` (or `-x`, `--info`). */
export interface SmartctlReport {
  /** Device path, e.g. `/dev/nvme0`, when the output names it. */
  device?: string;
  type?: string;
  protocol?: string;
  model?: string;
  serial?: string;
  firmware?: string;
  /** smart_status.passed, when present. */
  smartPassed?: boolean;
  /** The NVMe health log, when the output carries one. */
  health?: SmartHealth;
  /** smartctl's exit status bit mask as it reports it in the JSON. */
  exitStatus?: number;
  /** smartctl's own messages (errors opening the device...). */
  messages: string[];
}

function smartctlRoot(text: string, what: string): JsonObject {
  const o = parseJsonObject(text, what);
  if (!isObject(o.smartctl) && !Array.isArray(o.json_format_version)) {
    throw new KeelsonError('PARSE_FAILED', `${what}: not smartctl JSON (no "smartctl" or "json_format_version")`);
  }
  return o;
}

function messagesOf(smartctl: unknown): string[] {
  if (!isObject(smartctl) || !Array.isArray(smartctl.messages)) return [];
  return smartctl.messages.flatMap((m) => {
    const s = isObject(m) ? toText(m.string) : undefined;
    return s ? [s] : [];
  });
}

/** Parse `smartctl -j -a <dev>` (any smartctl JSON about one device). */
export function parseSmartctlJson(text: string): SmartctlReport {
  const o = smartctlRoot(text, 'smartctl -j');
  const report: SmartctlReport = { messages: messagesOf(o.smartctl) };
  if (isObject(o.device)) {
    const name = toText(o.device.name);
    if (name) report.device = name;
    const type = toText(o.device.type);
    if (type) report.type = type;
    const protocol = toText(o.device.protocol);
    if (protocol) report.protocol = protocol;
  }
  const model = toText(o.model_name);
  if (model) report.model = model;
  const serial = toText(o.serial_number);
  if (serial) report.serial = serial;
  const fw = toText(o.firmware_version);
  if (fw) report.firmware = fw;
  if (isObject(o.smart_status) && typeof o.smart_status.passed === 'boolean')
    report.smartPassed = o.smart_status.passed;
  if (isObject(o.smartctl)) {
    const exit = toNumber(o.smartctl.exit_status);
    if (exit !== undefined) report.exitStatus = exit;
  }
  const log = o.nvme_smart_health_information_log;
  if (isObject(log)) {
    const cw = toNumber(log.critical_warning);
    if (cw === undefined || !Number.isInteger(cw) || cw < 0) {
      throw new KeelsonError('PARSE_FAILED', 'smartctl -j: nvme_smart_health_information_log has no critical_warning');
    }
    const temp = toNumber(log.temperature) ?? (isObject(o.temperature) ? toNumber(o.temperature.current) : undefined);
    report.health = smartFields(log, cw & 0xff, temp);
  }
  return report;
}

/** Parse `smartctl --scan -j`; an empty `devices` list is valid (and means no devices). */
export function parseSmartctlScan(text: string): SmartctlScanDevice[] {
  const o = smartctlRoot(text, 'smartctl --scan -j');
  if (o.devices === undefined) return [];
  if (!Array.isArray(o.devices)) throw new KeelsonError('PARSE_FAILED', 'smartctl --scan -j: "devices" is not a list');
  return o.devices.flatMap((d) => {
    if (!isObject(d)) return [];
    const name = toText(d.name);
    if (!name) return [];
    const dev: SmartctlScanDevice = { name };
    const type = toText(d.type);
    if (type) dev.type = type;
    const protocol = toText(d.protocol);
    if (protocol) dev.protocol = protocol;
    return [dev];
  });
}

/** True when the smartctl JSON is a `--scan` answer rather than a per-device report. */
export function isSmartctlScan(o: JsonObject): boolean {
  if (Array.isArray(o.devices) && !('device' in o)) return true;
  const argv = isObject(o.smartctl) && Array.isArray(o.smartctl.argv) ? o.smartctl.argv : [];
  return argv.some((a) => a === '--scan' || a === '--scan-open');
}
