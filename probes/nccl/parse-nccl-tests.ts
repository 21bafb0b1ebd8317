/**
 * Pure parser of nccl-tests output (`all_reduce_perf`, `all_gather_perf`, ... from
 * github.com/NVIDIA/nccl-tests): the `# nThread …` header, the `#  Rank  0 Group  0 Pid … on
 * <host> device  0 [<bus>] <GPU>` lines, the result table (size, count, type, redop, root, then
 * time/algbw/busbw/#wrong out-of-place and in-place), `# Out of bounds values`, `# Avg bus
 * bandwidth`, and the failures a run prints (`NCCL WARN`, `Test NCCL failure common.cu:…`,
 * `Test failure common.cu:…`, non-zero #wrong). Lines may carry srun or mpirun prefixes.
 * Text in, record out; throws nothing but KeelsonError('PARSE_FAILED').
 */
import { KeelsonError } from '../../core/errors.ts';
import { type LinePrefix, unprefixedLines } from './prefix.ts';

/** One direction (out-of-place or in-place) of one table row; null where the tool printed N/A. */
export interface NcclTestsMeasure {
  timeUs: number | null;
  algbwGBps: number | null;
  busbwGBps: number | null;
  wrong: number | null;
}

/** One row of the result table. */
export interface NcclTestsRow {
  bytes: number;
  count: number;
  type: string;
  redop: string;
  root: number;
  outOfPlace: NcclTestsMeasure;
  /** Absent when the table has out-of-place columns only. */
  inPlace: NcclTestsMeasure | undefined;
}

/** One `#  Rank …` line: which GPU of which host ran a rank. */
export interface NcclTestsDevice {
  rank: number;
  pid: number;
  host: string;
  device: number;
  busId: string;
  name: string;
}

/** A failure the run printed. */
export interface NcclTestsError {
  kind: 'nccl-warn' | 'test-failure' | 'wrong-results' | 'out-of-bounds';
  /** The line without its launcher prefix. */
  line: string;
}

/** Everything one nccl-tests run printed, as far as it got. */
export interface NcclTestsRecord {
  /** `# nThread 1 nGpus 1 minBytes 8 …` as key → value (numbers where numeric); empty when absent. */
  header: Record<string, string | number>;
  devices: NcclTestsDevice[];
  /** Distinct hosts of the device lines, in order of appearance. */
  hosts: string[];
  rows: NcclTestsRow[];
  /** `# Out of bounds values : N OK|FAILED`, when printed. */
  outOfBounds: { count: number; ok: boolean } | undefined;
  /** `# Avg bus bandwidth : N` (GB/s), when printed: the run finished. */
  avgBusbwGBps: number | undefined;
  errors: NcclTestsError[];
  prefix: LinePrefix;
}

const DEVICE_RE =
  /^#\s+Rank\s+(\d+)\s+(?:Group\s+\d+\s+)?Pid\s+(\d+)\s+on\s+(\S+)\s+device\s+(\d+)\s+\[([^\]]*)\]\s+(.*?)\s*$/;
const OOB_RE = /^#\s*Out of bounds values\s*:\s*(\d+)\s+(OK|FAILED)/i;
const AVG_RE = /^#\s*Avg bus bandwidth\s*:\s*([\d.]+(?:[eE][-+]?\d+)?|nan|inf)/i;
const WARN_RE = /\bNCCL WARN\b/;
const FAILURE_RE = /\bTest (?:NCCL |CUDA )?failure\b|\bNCCL failure common\.cu:/;

function num(token: string | undefined): number | null {
  if (token === undefined || token === 'N/A') return null;
  const v = Number(token);
  return Number.isFinite(v) ? v : null;
}

function measure(tokens: readonly string[], at: number): NcclTestsMeasure {
  return {
    timeUs: num(tokens[at]),
    algbwGBps: num(tokens[at + 1]),
    busbwGBps: num(tokens[at + 2]),
    wrong: num(tokens[at + 3]),
  };
}

/** A table row, or undefined when the line is not one. */
export function parseNcclTestsRow(line: string): NcclTestsRow | undefined {
  const tokens = line.trim().split(/\s+/);
  if (tokens.length !== 9 && tokens.length !== 13) return undefined;
  const [size, count, type, redop, root] = tokens;
  if (!/^\d+$/.test(size ?? '') || !/^\d+$/.test(count ?? '') || !/^-?\d+$/.test(root ?? '')) return undefined;
  if (!/^[A-Za-z][\w]*$/.test(type ?? '') || !/^[A-Za-z][\w]*$/.test(redop ?? '')) return undefined;
  const numeric = tokens.slice(5).every((t) => t === 'N/A' || /^-?[\d.]+(?:[eE][-+]?\d+)?$|^-?(?:nan|inf)$/i.test(t));
  if (!numeric) return undefined;
  return {
    bytes: Number(size),
    count: Number(count),
    type: type ?? '',
    redop: redop ?? '',
    root: Number(root),
    outOfPlace: measure(tokens, 5),
    inPlace: tokens.length === 13 ? measure(tokens, 9) : undefined,
  };
}

function parseHeader(line: string): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  const body = line.replace(/^#\s*/, '');
  // "nThread 1 nGpus 1 minBytes 8 maxBytes 17179869184 step: 2(factor) warmup iters: 5 iters: 20 ..."
  const re = /([A-Za-z_][\w ]*?):?\s+(-?[\w.()]+)(?=\s|$)/g;
  for (const m of body.matchAll(re)) {
    const key = (m[1] ?? '').trim().replace(/\s+/g, '_');
    const raw = m[2] ?? '';
    const n = Number(raw);
    if (key) out[key] = raw !== '' && Number.isFinite(n) ? n : raw;
  }
  return out;
}

/** Whether the text looks like nccl-tests output (header, table header, summary or a test failure). Pure. */
export function looksLikeNcclTests(text: string): boolean {
  const { lines } = unprefixedLines(text);
  return lines.some(
    (l) =>
      /^#\s*nThread\s+\d+\s+nGpus\s+\d+/.test(l) ||
      /^#\s+size\s+count\s+type\s+redop/.test(l) ||
      /^#\s*Avg bus bandwidth\s*:/.test(l) ||
      /\bTest (?:NCCL |CUDA )?failure common\.cu:\d+/.test(l),
  );
}

/** Parse nccl-tests output. Throws KeelsonError('PARSE_FAILED') when nothing in it is nccl-tests output. */
export function parseNcclTests(text: string): NcclTestsRecord {
  const { lines, prefix } = unprefixedLines(text);
  const record: NcclTestsRecord = {
    header: {},
    devices: [],
    hosts: [],
    rows: [],
    outOfBounds: undefined,
    avgBusbwGBps: undefined,
    errors: [],
    prefix,
  };
  let recognised = false;
  for (const raw of lines) {
    const line = raw.replace(/\s+$/, '');
    if (line === '') continue;
    if (/^#\s*nThread\s/.test(line)) {
      record.header = parseHeader(line);
      recognised = true;
      continue;
    }
    const dev = DEVICE_RE.exec(line);
    if (dev) {
      const host = dev[3] ?? '';
      record.devices.push({
        rank: Number(dev[1]),
        pid: Number(dev[2]),
        host,
        device: Number(dev[4]),
        busId: dev[5] ?? '',
        name: dev[6] ?? '',
      });
      if (!record.hosts.includes(host)) record.hosts.push(host);
      recognised = true;
      continue;
    }
    const oob = OOB_RE.exec(line);
    if (oob) {
      const ok = (oob[2] ?? '').toUpperCase() === 'OK';
      record.outOfBounds = { count: Number(oob[1]), ok };
      if (!ok || Number(oob[1]) > 0) record.errors.push({ kind: 'out-of-bounds', line });
      recognised = true;
      continue;
    }
    const avg = AVG_RE.exec(line);
    if (avg) {
      const v = Number(avg[1]);
      record.avgBusbwGBps = Number.isFinite(v) ? v : undefined;
      recognised = true;
      continue;
    }
    if (WARN_RE.test(line)) {
      record.errors.push({ kind: 'nccl-warn', line: line.trim() });
      continue;
    }
    if (FAILURE_RE.test(line)) {
      record.errors.push({ kind: 'test-failure', line: line.trim() });
      recognised = true;
      continue;
    }
    if (line.startsWith('#')) {
      if (/^#\s+size\s+count\s+type/.test(line)) recognised = true;
      continue;
    }
    const row = parseNcclTestsRow(line);
    if (row) {
      record.rows.push(row);
      recognised = true;
      const wrong = (row.outOfPlace.wrong ?? 0) + (row.inPlace?.wrong ?? 0);
      if (wrong > 0) record.errors.push({ kind: 'wrong-results', line: line.trim() });
    }
  }
  if (!recognised) {
    throw new KeelsonError('PARSE_FAILED', 'no nccl-tests header, result table, summary or test failure in the text');
  }
  return record;
}
