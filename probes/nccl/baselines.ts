/**
 * Expected bandwidth per node type, and the pure comparison of a parsed run against it.
 *
 * nccl-tests: the bus bandwidth (busbw) an all-reduce reaches at large messages, where it is
 * bounded by the slowest link (NVLink inside a node, the NICs across nodes). The defaults come
 * from published healthy runs: an 8×H100 DGX reaches ~480 GB/s at 8–16 GiB (NVIDIA
 * dgxc-benchmarking), two 8×H100 nodes over 8×400G reach ~480–487 GB/s at 8–16 GiB (AWS
 * awsome-distributed-training, p5) and 437–441 GB/s at 1 GiB; 8×A100 SXM reaches 230–250 GB/s
 * on NVLink and ~185 GB/s across nodes on 8×200G HDR (8 × 25 GB/s wire). Sites override them.
 *
 * perftest: `ib_write_bw` averages ~97% of the link rate on a healthy NDR/HDR port.
 */
import type { NcclTestsRecord } from './parse-nccl-tests.ts';
import type { PerftestRecord } from './parse-perftest.ts';

const GiB = 1024 ** 3;

/** Where a run's traffic went: one node (NVLink/NVSwitch) or across nodes (the network). */
export type NcclScope = 'single-node' | 'multi-node';

/** Expected busbw for one node type and scope. */
export interface NcclBaseline {
  id: string;
  /** Lower-case substring of the GPU name in the device lines (`h100`, `a100`). */
  gpuMatch: string;
  scope: NcclScope;
  /** Expected busbw (GB/s) for messages of at least `minBytes`; the largest applicable point is used. */
  points: readonly { minBytes: number; busbwGBps: number }[];
  /** Where the numbers come from. */
  source: string;
}

/** Built-in baselines; a site's own measurements should replace them. */
export const DEFAULT_NCCL_BASELINES: readonly NcclBaseline[] = [
  {
    id: 'h100-8gpu-nvlink',
    gpuMatch: 'h100',
    scope: 'single-node',
    points: [
      { minBytes: GiB, busbwGBps: 440 },
      { minBytes: 4 * GiB, busbwGBps: 460 },
      { minBytes: 8 * GiB, busbwGBps: 475 },
    ],
    source: 'NVIDIA dgxc-benchmarking nccl README: 8×H100 80GB HBM3, 466 GB/s at 1 GiB, 480 GB/s at 8–16 GiB',
  },
  {
    id: 'h100-8gpu-ndr',
    gpuMatch: 'h100',
    scope: 'multi-node',
    points: [
      { minBytes: GiB, busbwGBps: 430 },
      { minBytes: 4 * GiB, busbwGBps: 460 },
      { minBytes: 8 * GiB, busbwGBps: 475 },
    ],
    source:
      'AWS awsome-distributed-training nccl-tests README: 2×p5 (16×H100, 3200 Gb/s), 437 GB/s at 1 GiB, 479–487 GB/s at 8–16 GiB',
  },
  {
    id: 'h200-8gpu-ndr',
    gpuMatch: 'h200',
    scope: 'multi-node',
    points: [
      { minBytes: GiB, busbwGBps: 430 },
      { minBytes: 8 * GiB, busbwGBps: 475 },
    ],
    source: 'same NVLink4 and 8×400G fabric as H100: the H100 figures',
  },
  {
    id: 'a100-8gpu-nvlink',
    gpuMatch: 'a100',
    scope: 'single-node',
    points: [{ minBytes: GiB, busbwGBps: 230 }],
    source: 'NVLink3 8×A100 SXM: 230–250 GB/s at large messages',
  },
  {
    id: 'a100-8gpu-hdr',
    gpuMatch: 'a100',
    scope: 'multi-node',
    points: [{ minBytes: GiB, busbwGBps: 180 }],
    source: '8×200G HDR per node: 8 × 25 GB/s wire, ~185 GB/s busbw at large messages',
  },
];

/** Fraction below the expectation still judged healthy (run-to-run noise is ~2–5%). */
export const DEFAULT_TOLERANCE = 0.1;

/** A verdict about one run. `unknown`: no baseline, or no message large enough to judge. */
export type NetVerdict = 'pass' | 'slow' | 'failed' | 'unknown';

/** The verdict and what it rests on. */
export interface NetJudgement {
  verdict: NetVerdict;
  /** Measured value at the judged size: busbw GB/s (nccl-tests) or average Gb/s (perftest). */
  measured?: number;
  expected?: number;
  atBytes?: number;
  baselineId?: string;
  /** One line each, for evidence. */
  reasons: string[];
}

/** The scope of a run: more than one host in the device lines means across the network. */
export function ncclScope(record: NcclTestsRecord): NcclScope | undefined {
  if (record.hosts.length === 0) return undefined;
  return record.hosts.length > 1 ? 'multi-node' : 'single-node';
}

/** The baseline for a run's GPU and scope, when one is known. */
export function findNcclBaseline(
  record: NcclTestsRecord,
  baselines: readonly NcclBaseline[] = DEFAULT_NCCL_BASELINES,
): NcclBaseline | undefined {
  const scope = ncclScope(record);
  const gpu = record.devices[0]?.name.toLowerCase();
  if (!scope || !gpu) return undefined;
  return baselines.find((b) => b.scope === scope && gpu.includes(b.gpuMatch));
}

/** Expected busbw at a message size, or undefined below the baseline's smallest point. */
export function expectedBusbw(baseline: NcclBaseline, bytes: number): number | undefined {
  let best: { minBytes: number; busbwGBps: number } | undefined;
  for (const p of baseline.points) if (p.minBytes <= bytes && (!best || p.minBytes > best.minBytes)) best = p;
  return best?.busbwGBps;
}

/** Failures in a run, as reasons; empty when it ran clean. */
export function ncclFailures(record: NcclTestsRecord): string[] {
  const reasons: string[] = [];
  for (const e of record.errors) if (e.kind !== 'nccl-warn') reasons.push(`${e.kind}: ${e.line}`);
  const finished = record.avgBusbwGBps !== undefined || record.outOfBounds !== undefined;
  if (!finished && record.errors.some((e) => e.kind === 'nccl-warn')) {
    const warn = record.errors.find((e) => e.kind === 'nccl-warn');
    reasons.push(`nccl-warn before the run finished: ${warn?.line ?? ''}`);
  }
  return reasons;
}

/**
 * Judge an nccl-tests run: failed on test failures, wrong results or a warning that stopped it;
 * slow when the busbw at the largest judged size is below expected × (1 − tolerance).
 */
export function judgeNcclTests(
  record: NcclTestsRecord,
  baseline: NcclBaseline | undefined,
  tolerance = DEFAULT_TOLERANCE,
): NetJudgement {
  const failures = ncclFailures(record);
  if (failures.length > 0) return { verdict: 'failed', reasons: failures };
  if (!baseline) return { verdict: 'unknown', reasons: ['no baseline known for this GPU and scope'] };
  let judged: { bytes: number; busbw: number; expected: number } | undefined;
  for (const row of record.rows) {
    const expected = expectedBusbw(baseline, row.bytes);
    const busbw = Math.max(row.outOfPlace.busbwGBps ?? 0, row.inPlace?.busbwGBps ?? 0);
    if (expected !== undefined && (!judged || row.bytes >= judged.bytes))
      judged = { bytes: row.bytes, busbw, expected };
  }
  if (!judged) {
    const min = Math.min(...baseline.points.map((p) => p.minBytes));
    return {
      verdict: 'unknown',
      baselineId: baseline.id,
      reasons: [`no message of ${min} bytes or more was measured`],
    };
  }
  const floor = judged.expected * (1 - tolerance);
  const slow = judged.busbw < floor;
  return {
    verdict: slow ? 'slow' : 'pass',
    measured: judged.busbw,
    expected: judged.expected,
    atBytes: judged.bytes,
    baselineId: baseline.id,
    reasons: [
      `busbw ${judged.busbw} GB/s at ${judged.bytes} B ${slow ? '<' : '>='} ${round(floor)} GB/s (${judged.expected} expected by ${baseline.id}, tolerance ${tolerance * 100}%)`,
    ],
  };
}

/** Expected `ib_write_bw` average for a port of the given link rate (Gb/s). */
export function expectedIbWriteBw(linkRateGbps: number): number {
  return round(linkRateGbps * 0.97);
}

/** Judge a perftest run against the port's link rate (unknown when the rate is not known). */
export function judgePerftest(
  record: PerftestRecord,
  linkRateGbps: number | undefined,
  tolerance = DEFAULT_TOLERANCE,
): NetJudgement {
  if (record.errors.length > 0) return { verdict: 'failed', reasons: record.errors.slice(0, 5) };
  const row = record.rows.reduce<PerftestRecord['rows'][number] | undefined>(
    (best, r) => (!best || r.bytes >= best.bytes ? r : best),
    undefined,
  );
  if (!row) return { verdict: 'failed', reasons: ['no result row: the test did not finish'] };
  if (linkRateGbps === undefined)
    return { verdict: 'unknown', measured: row.averageGbps, reasons: ['link rate unknown'] };
  const expected = expectedIbWriteBw(linkRateGbps);
  const floor = expected * (1 - tolerance);
  const slow = row.averageGbps < floor;
  return {
    verdict: slow ? 'slow' : 'pass',
    measured: round(row.averageGbps),
    expected,
    atBytes: row.bytes,
    reasons: [
      `average ${round(row.averageGbps)} Gb/s at ${row.bytes} B ${slow ? '<' : '>='} ${round(floor)} Gb/s (${expected} expected on a ${linkRateGbps} Gb/s link)`,
    ],
  };
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
