/**
 * Pure parser of perftest bandwidth output (`ib_write_bw`, `ib_read_bw`, `ib_send_bw` from
 * linux-rdma/perftest): the settings block (`Device : mlx5_0`, `Link type : IB`, …), the result
 * table `#bytes #iterations BW peak[Gb/sec|MB/sec] BW average[…] MsgRate[Mpps]`, and the
 * failures it prints (`Couldn't connect`, `Failed to modify QP`, …). Bandwidths are normalised
 * to Gb/s. Text in, record out; throws nothing but KeelsonError('PARSE_FAILED').
 */
import { KeelsonError } from '../../core/errors.ts';
import { type LinePrefix, unprefixedLines } from './prefix.ts';

/** One row of the result table, in Gb/s whatever unit the tool printed. */
export interface PerftestRow {
  bytes: number;
  iterations: number;
  peakGbps: number;
  averageGbps: number;
  msgRateMpps: number | null;
}

/** Everything one perftest bandwidth run printed. */
export interface PerftestRecord {
  /** `RDMA_Write BW Test`, `Send BW Test`, …, when printed. */
  test: string | undefined;
  /** Settings block entries (`Device`, `Link type`, `Mtu`, `Number of qps`, …). */
  settings: Record<string, string>;
  /** Unit the table used. */
  unit: 'Gb/sec' | 'MB/sec' | undefined;
  rows: PerftestRow[];
  /** Lines saying the run failed. */
  errors: string[];
  prefix: LinePrefix;
}

const TABLE_HEADER_RE = /^\s*#bytes\s+#iterations\s+BW peak\[(Gb\/sec|MB\/sec)\]\s+BW average\[(?:Gb\/sec|MB\/sec)\]/;
const ERROR_RE =
  /\b(?:Couldn't|Could not|Unable to|Failed to|failed to|Error:|ERROR|Conflicting CPU frequency|Completion with error|Problems with warm up|Requested mtu is higher|No IB devices found|IB device \S+ not found)/;
/** Perftest prints this warning on every run with frequency scaling; it is not a failure. */
const BENIGN_RE = /Conflicting CPU frequency values detected/;

/** Whether the text looks like perftest bandwidth output. Pure. */
export function looksLikePerftestBw(text: string): boolean {
  const { lines } = unprefixedLines(text);
  return lines.some((l) => TABLE_HEADER_RE.test(l) || /^\s+(?:RDMA_Write|RDMA_Read|Send) BW Test\s*$/.test(l));
}

/** Parse perftest bandwidth output. Throws KeelsonError('PARSE_FAILED') when there is no such output. */
export function parsePerftestBw(text: string): PerftestRecord {
  const { lines, prefix } = unprefixedLines(text);
  const record: PerftestRecord = { test: undefined, settings: {}, unit: undefined, rows: [], errors: [], prefix };
  let recognised = false;
  for (const raw of lines) {
    const line = raw.replace(/\s+$/, '');
    if (line.trim() === '') continue;
    const test = /^\s+((?:RDMA_Write|RDMA_Read|Send|Atomic \w+) BW Test)$/.exec(line);
    if (test) {
      record.test = test[1];
      recognised = true;
      continue;
    }
    const header = TABLE_HEADER_RE.exec(line);
    if (header) {
      record.unit = header[1] === 'MB/sec' ? 'MB/sec' : 'Gb/sec';
      recognised = true;
      continue;
    }
    if (record.unit !== undefined) {
      const m = /^\s*(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)(?:\s+([\d.]+))?\s*$/.exec(line);
      if (m) {
        // MB/sec in perftest is 2^20 bytes per second.
        const toGbps = record.unit === 'MB/sec' ? (v: number) => (v * 1048576 * 8) / 1e9 : (v: number) => v;
        record.rows.push({
          bytes: Number(m[1]),
          iterations: Number(m[2]),
          peakGbps: toGbps(Number(m[3])),
          averageGbps: toGbps(Number(m[4])),
          msgRateMpps: m[5] === undefined ? null : Number(m[5]),
        });
        continue;
      }
    }
    // Settings come as one or two "Key : value" pairs per line, apart by tabs or runs of spaces.
    if (/^\s\S[^:]*:\s/.test(line) && !/^\s*(?:local|remote) address:/.test(line)) {
      for (const kv of line.matchAll(/([A-Za-z][\w .*-]*?)\s*:\s*([^\t]*?)\s*(?=\t|\s{3,}[A-Za-z]|$)/g)) {
        if (kv[1] && kv[2]) record.settings[kv[1]] = kv[2];
      }
    }
    if (ERROR_RE.test(line) && !BENIGN_RE.test(line)) {
      record.errors.push(line.trim());
      recognised = true;
    }
  }
  if (!recognised)
    throw new KeelsonError('PARSE_FAILED', 'no perftest bandwidth table, test banner or error in the text');
  return record;
}
