/**
 * Parser for the default `nvidia-smi` table. It carries less than -q: per GPU the index, name,
 * persistence mode, bus id, volatile uncorrectable ECC count, temperature, power, memory,
 * utilisation and MIG mode — and "ERR!" in any cell nvidia-smi failed to read. Warnings printed
 * after the table (infoROM corrupted) are picked up by scanSmiIssues.
 */
import { KeelsonError } from '../../core/errors.ts';
import { scanSmiIssues } from './parse-errors.ts';
import {
  emptyRecord,
  type GpuRecord,
  type GpuSnapshot,
  isFieldError,
  normalizeBusId,
  toBool,
  toCount,
  toNumber,
} from './record.ts';

const DRIVER = /Driver Version:\s*([0-9.]+)/;
const CUDA = /CUDA Version:\s*([0-9.]+)/;

/** Cells of a `| a | b | c |` line, untrimmed; undefined for other lines. */
function cells(line: string): string[] | undefined {
  const t = line.trimEnd();
  if (!t.startsWith('|')) return undefined;
  const parts = t.split('|');
  return parts.slice(1, t.endsWith('|') ? -1 : undefined);
}

function noteErrors(rec: GpuRecord, names: string[], values: (string | undefined)[]): void {
  values.forEach((v, i) => {
    if (v !== undefined && isFieldError(v)) rec.fieldErrors.push(`${names[i] ?? `field${i}`}=${v}`);
  });
}

/** First row of a GPU block: index, name, persistence | bus id, display | volatile uncorr. ECC. */
function firstRow(c: string[]): GpuRecord | undefined {
  const m = /^\s*(\d+)\s+(.*?)\s+(On|Off|ERR!)\s*$/.exec(c[0] ?? '');
  const b = /^\s*([0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7])\s+(\S+)\s*$/.exec(c[1] ?? '');
  if (!m || !b) return undefined;
  const rec = emptyRecord();
  rec.index = Number(m[1]);
  if (m[2]) rec.name = m[2];
  const persistence = toBool(m[3]);
  if (persistence !== undefined) rec.persistenceMode = persistence;
  const busId = normalizeBusId(b[1]);
  if (busId) rec.busId = busId;
  const ecc = (c[2] ?? '').trim();
  noteErrors(rec, ['persistence_mode', 'display_active', 'volatile_uncorrectable_ecc'], [m[3], b[2], ecc]);
  // A count is the volatile uncorrectable total; "On"/"Off"/"N/A" are shown instead in MIG mode or without ECC.
  const dbe = /^\d+$/.test(ecc) ? toCount(ecc) : undefined;
  if (dbe !== undefined) {
    rec.ecc.volatile.dbe = dbe;
    rec.ecc.enabled = true;
  }
  return rec;
}

/** Second row: fan, temperature, perf state, power usage / cap | memory used / total | util, compute mode. */
function secondRow(rec: GpuRecord, c: string[]): void {
  const left = (c[0] ?? '').trim();
  const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*\/\s*(\S+)$/.exec(left);
  if (m) {
    noteErrors(rec, ['fan', 'temperature', 'perf', 'power_draw', 'power_limit'], m.slice(1));
    const temp = toNumber(m[2]);
    if (temp !== undefined) rec.temperature.gpu = temp;
    rec.power = { draw: toNumber(m[4]), limit: toNumber(m[5]) };
  } else if (left !== '') {
    noteErrors(
      rec,
      left.split(/\s+/).map(() => 'fan_temp_perf_power'),
      left.split(/\s+/),
    );
  }
  const mem = /^\s*(\S+)\s*\/\s*(\S+)\s*$/.exec(c[1] ?? '');
  if (mem) {
    noteErrors(rec, ['memory_used', 'memory_total'], [mem[1], mem[2]]);
    rec.memory = { usedMiB: toNumber(mem[1]), totalMiB: toNumber(mem[2]) };
  }
  const util = /^\s*(\S+)\s+(.*?)\s*$/.exec(c[2] ?? '');
  if (util) {
    noteErrors(rec, ['utilization', 'compute_mode'], [util[1], util[2]]);
    const u = toNumber(util[1]);
    if (u !== undefined) rec.utilization.gpu = u;
  }
}

/** Parse the default `nvidia-smi` table; throws KeelsonError('PARSE_FAILED') when it is not that. */
export function parseSmiTable(text: string): GpuSnapshot {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const headerAt = lines.findIndex((l) => /NVIDIA-SMI\s+\S+/.test(l) && l.includes('|'));
  if (headerAt < 0) throw new KeelsonError('PARSE_FAILED', 'nvidia-smi table: no "| NVIDIA-SMI <version>" header');
  const header = lines[headerAt] ?? '';
  const snap: GpuSnapshot = { format: 'table', gpus: [], partial: false, issues: scanSmiIssues(text) };
  const driver = DRIVER.exec(header)?.[1];
  const cuda = CUDA.exec(header)?.[1];
  if (driver) snap.driverVersion = driver;
  if (cuda) snap.cudaVersion = cuda;

  const sepAt = lines.findIndex((l, i) => i > headerAt && /^\|=+\+=+/.test(l.trim()));
  if (sepAt < 0) return snap;
  let block: string[][] = [];
  const flush = () => {
    const [a, b, c] = block;
    block = [];
    const rec = a ? firstRow(a) : undefined;
    if (!rec) return;
    if (b) secondRow(rec, b);
    const mig = c?.[2]?.trim();
    if (mig !== undefined) {
      noteErrors(rec, ['mig_mode'], [mig]);
      rec.mig.current = toBool(mig);
    }
    if (driver) rec.driverVersion = driver;
    if (cuda) rec.cudaVersion = cuda;
    snap.gpus.push(rec);
  };
  for (let i = sepAt + 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const t = line.trim();
    if (t.startsWith('+')) {
      flush();
      continue;
    }
    const c = cells(line);
    if (!c) break;
    block.push(c);
  }
  flush();
  return snap;
}
