/**
 * Turns the host readings (memory, df-like file system rows, load average, CPU count; the
 * shapes systeminformation's mem() and fsSize() used to return) into a HostRecord. Pure:
 * validates the shapes so a garbled value gives a clear error.
 */
import { KeelsonError } from '../../core/errors.ts';

/** One mounted filesystem. */
export interface FsUsage {
  mount: string;
  fs: string;
  type: string;
  sizeBytes: number;
  usedBytes: number;
  availableBytes: number;
}

/** What the host probe knows about the machine in one run. */
export interface HostRecord {
  cpus: number;
  load1: number;
  load5: number;
  load15: number;
  memTotalBytes: number;
  memAvailableBytes: number;
  swapTotalBytes: number;
  swapUsedBytes: number;
  filesystems: FsUsage[];
}

/** Raw inputs as read: memory (read.ts/meminfo.ts), df-like rows (fs-usage.ts), os.loadavg() and the CPU count. */
export interface HostRaw {
  mem: unknown;
  fsSize: unknown;
  loadavg: unknown;
  cpus: unknown;
}

function num(obj: Record<string, unknown>, key: string, where: string): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new KeelsonError('PARSE_FAILED', `${where}.${key}: expected a non-negative number, got ${JSON.stringify(v)}`);
  }
  return v;
}

function obj(v: unknown, where: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new KeelsonError('PARSE_FAILED', `${where}: expected an object`);
  }
  return v as Record<string, unknown>;
}

/** Build a HostRecord from the raw readings; throws PARSE_FAILED naming the bad field. */
export function parseHostRaw(raw: HostRaw): HostRecord {
  const mem = obj(raw.mem, 'mem');
  if (!Array.isArray(raw.loadavg) || raw.loadavg.length < 3 || !raw.loadavg.every((x) => typeof x === 'number')) {
    throw new KeelsonError('PARSE_FAILED', 'loadavg: expected three numbers');
  }
  if (typeof raw.cpus !== 'number' || !Number.isInteger(raw.cpus) || raw.cpus < 1) {
    throw new KeelsonError('PARSE_FAILED', 'cpus: expected a positive integer');
  }
  if (!Array.isArray(raw.fsSize)) throw new KeelsonError('PARSE_FAILED', 'fsSize: expected a list');
  const [load1, load5, load15] = raw.loadavg as number[];
  return {
    cpus: raw.cpus,
    load1: load1!,
    load5: load5!,
    load15: load15!,
    memTotalBytes: num(mem, 'total', 'mem'),
    memAvailableBytes: num(mem, 'available', 'mem'),
    swapTotalBytes: num(mem, 'swaptotal', 'mem'),
    swapUsedBytes: num(mem, 'swapused', 'mem'),
    filesystems: raw.fsSize.map((f, i) => {
      const o = obj(f, `fsSize[${i}]`);
      return {
        mount: String(o.mount ?? ''),
        fs: String(o.fs ?? ''),
        type: String(o.type ?? ''),
        sizeBytes: num(o, 'size', `fsSize[${i}]`),
        usedBytes: num(o, 'used', `fsSize[${i}]`),
        availableBytes: num(o, 'available', `fsSize[${i}]`),
      };
    }),
  };
}
