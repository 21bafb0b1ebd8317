/**
 * Conformance of the nccl-tests / perftest parsers and analyzers with the real outputs in
 * ../shared/corpus/nccl. Every file has a written-down expectation: which analyzer claims it,
 * what the parser reads (rows, hosts, prefix, peak busbw) and exactly which findings come out.
 * The corpus also holds NCCL lines from torch jobs (NCCL_DEBUG=INFO logs, NCCL WARN at
 * teardown, ProcessGroupNCCL errors): they are not nccl-tests output, neither analyzer claims
 * them (the training-log analyzers diagnose them), and the nccl-tests parser refuses them with
 * PARSE_FAILED rather than invent a result. A new file without an entry fails the suite.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import { severityRank } from '../../core/finding.ts';
import { ncclAnalyzers } from '../../probes/nccl/analyzers.ts';
import { findNcclBaseline, judgeNcclTests } from '../../probes/nccl/baselines.ts';
import { parseNcclTests } from '../../probes/nccl/parse-nccl-tests.ts';

const CORPUS = path.resolve(import.meta.dirname, '../../../shared/corpus/nccl');

interface Parsed {
  prefix: string;
  rows: number;
  hosts: string[];
  /** Largest message measured and its best busbw. */
  lastBytes: number;
  lastBusbw: number;
  avgBusbw: number | undefined;
  baseline: string | undefined;
  verdict: string;
}

interface Expectation {
  /** The analyzer that claims the file, or none. */
  kind: 'nccl-tests' | 'ib_write_bw' | 'none';
  /** Parser result; 'refused' when parseNcclTests throws PARSE_FAILED. */
  parsed: Parsed | 'refused';
  /** `code component severity` of the analyzer's findings. */
  findings: string[];
  why: string;
}

const EXPECTED: Record<string, Expectation> = {
  'aws_all_reduce_perf_2x-p4de_a100_efa.txt': {
    kind: 'nccl-tests',
    parsed: {
      prefix: 'srun',
      rows: 29,
      hosts: [],
      lastBytes: 2147483648,
      lastBusbw: 78.33,
      avgBusbw: undefined,
      baseline: undefined,
      verdict: 'unknown',
    },
    findings: ['net.nccl.incomplete net warn'],
    why: 'Table only (the doc quotes no header or summary lines): no device lines, so no GPU/scope and no baseline. Healthy for EFA at 400 Gb/s, but the capture ends without "# Avg bus bandwidth", which the analyzer reports as an incomplete run (warn, no action).',
  },
  'aws_all_reduce_perf_2x-p5_h100_efa.txt': {
    kind: 'nccl-tests',
    parsed: {
      prefix: 'srun',
      rows: 32,
      hosts: [],
      lastBytes: 17179869184,
      lastBusbw: 487.26,
      avgBusbw: undefined,
      baseline: undefined,
      verdict: 'unknown',
    },
    findings: ['net.nccl.incomplete net warn'],
    why: 'Same excerpt shape as above (table only): 487 GB/s at 16 GiB is healthy, but with no device lines the GPU is unknown and the summary is missing.',
  },
  'aws_all_reduce_perf_mpirun-prefixed_p5_h100.txt': {
    kind: 'nccl-tests',
    parsed: {
      prefix: 'mpirun',
      rows: 32,
      hosts: [],
      lastBytes: 17179869184,
      lastBusbw: 483.35,
      avgBusbw: 156.742,
      baseline: undefined,
      verdict: 'unknown',
    },
    findings: [],
    why: 'mpirun --tag-output prefixes with trailing spaces; finished ("Out of bounds values : 0 OK", avg 156.742), no failures. No device lines, so no baseline: nothing to report.',
  },
  'dgxc_all_reduce_perf_8x-h100_healthy.txt': {
    kind: 'nccl-tests',
    parsed: {
      prefix: 'none',
      rows: 32,
      hosts: ['pool0-01806'],
      lastBytes: 17179869184,
      lastBusbw: 479.99,
      avgBusbw: 159.151,
      baseline: 'h100-8gpu-nvlink',
      verdict: 'pass',
    },
    findings: [],
    why: 'Full header, 8 H100 on one host (NVLink scope): 480 GB/s at 16 GiB ≥ 475 × 0.9. Healthy.',
  },
  'bigscience_nccl-info-init_torch-allreduce-bench_4x8-a100-opa.log': {
    kind: 'none',
    parsed: 'refused',
    findings: [],
    why: 'NCCL_DEBUG=INFO init lines and a torch.distributed benchmark printing "busbw: 15 Gbps" per rank: not nccl-tests output (no table, header or summary).',
  },
  'bigscience_nccl-warn_connect-refused.txt': {
    kind: 'none',
    parsed: 'refused',
    findings: [],
    why: 'A lone NCCL WARN from a training job: a training-log diagnosis (network), not a test result. The parser does not claim it on a WARN alone.',
  },
  'bigscience_ncclSystemError_barrier.txt': {
    kind: 'none',
    parsed: 'refused',
    findings: [],
    why: 'PyTorch RuntimeError "NCCL error in: ProcessGroupNCCL.cpp … unhandled system error": training-log domain.',
  },
  'torchtitan_nccl-error_invalid-usage_no-algorithm.log': {
    kind: 'none',
    parsed: 'refused',
    findings: [],
    why: 'torchtitan log with one NCCL WARN (NCCL_ALGO misconfiguration) behind [rank0]: prefixes: training-log domain.',
  },
  'torchtitan_nccl-warn_corrupted-comm-object.log': {
    kind: 'none',
    parsed: 'refused',
    findings: [],
    why: 'Six NCCL WARN "corrupted comm object" lines at teardown of a finished run: training-log domain.',
  },
  'torchtitan_nccl-warn_socket-not-ready_deregister-ipc-failed.log': {
    kind: 'none',
    parsed: 'refused',
    findings: [],
    why: 'Twelve NCCL WARN lines at teardown (socket not ready, deregister IPC failed): training-log domain.',
  },
};

describe.skipIf(!existsSync(CORPUS))('nccl conformance with ../shared/corpus/nccl', () => {
  const files = existsSync(CORPUS) ? readdirSync(CORPUS).sort() : [];

  it('has an expectation for every corpus file', () => {
    expect(files.filter((f) => !(f in EXPECTED))).toEqual([]);
  });

  for (const file of files) {
    it(file, () => {
      const exp = EXPECTED[file];
      if (!exp) throw new Error(`no expectation written for ${file}`);
      const text = readFileSync(path.join(CORPUS, file), 'utf8');
      const claimed = ncclAnalyzers.filter((a) => a.sniff(text.slice(0, 65536))).map((a) => a.kind);
      expect(claimed).toEqual(exp.kind === 'none' ? [] : [exp.kind]);

      if (exp.parsed === 'refused') {
        let err: unknown;
        try {
          parseNcclTests(text);
        } catch (e) {
          err = e;
        }
        expect(isKeelsonError(err, 'PARSE_FAILED')).toBe(true);
      } else {
        const r = parseNcclTests(text);
        const last = r.rows.at(-1);
        const baseline = findNcclBaseline(r);
        expect({
          prefix: r.prefix,
          rows: r.rows.length,
          hosts: r.hosts,
          lastBytes: last?.bytes,
          lastBusbw: Math.max(last?.outOfPlace.busbwGBps ?? 0, last?.inPlace?.busbwGBps ?? 0),
          avgBusbw: r.avgBusbwGBps,
          baseline: baseline?.id,
          verdict: judgeNcclTests(r, baseline).verdict,
        }).toEqual(exp.parsed);
        expect(r.errors).toEqual([]);
      }

      const analyzer = ncclAnalyzers.find((a) => a.kind === exp.kind);
      const findings = analyzer ? analyzer.analyze(text, 0) : [];
      expect(findings.map((o) => `${o.code} ${o.component} ${o.severity}`)).toEqual(exp.findings);
      // no real corpus sample is degraded or fatal
      for (const o of findings) expect(severityRank(o.severity)).toBeLessThan(severityRank('degraded'));
    });
  }
});
