import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ncclAnalyzers } from './analyzers.ts';
import { ncclCatalog } from './catalog.ts';

const FIX = path.resolve(import.meta.dirname, '../../test/fixtures/nccl');
const read = (f: string) => readFileSync(path.join(FIX, f), 'utf8');
const [nccl, ib] = ncclAnalyzers;
const codes = (kind: 'nccl' | 'ib', f: string) =>
  ((kind === 'nccl' ? nccl : ib)?.analyze(read(f), 0) ?? []).map((o) => `${o.code} ${o.component} ${o.severity}`);

describe('nccl analyzers', () => {
  it('sniff their own outputs only', () => {
    expect(nccl?.kind).toBe('nccl-tests');
    expect(ib?.kind).toBe('ib_write_bw');
    expect(nccl?.sniff(read('all_reduce_perf-2x-h100-ndr-slow-gpu-b07-srun.txt'))).toBe(true);
    expect(nccl?.sniff(read('ib_write_bw-ndr-mlx5_0-healthy-gbits.txt'))).toBe(false);
    expect(ib?.sniff(read('ib_write_bw-ndr-mlx5_0-healthy-gbits.txt'))).toBe(true);
    expect(ib?.sniff(read('all_reduce_perf-2x-h100-ndr-healthy-mpirun.txt'))).toBe(false);
  });

  it('turn each fixture into its findings', () => {
    expect(codes('nccl', 'all_reduce_perf-2x-h100-ndr-healthy-mpirun.txt')).toEqual([]);
    expect(codes('nccl', 'all_reduce_perf-2x-h100-ndr-slow-gpu-b07-srun.txt')).toEqual(['net.nccl.slow net degraded']);
    expect(codes('nccl', 'all_reduce_perf-2x-h100-net-ib-failure.txt')).toEqual(['net.nccl.error net degraded']);
    expect(codes('nccl', 'all_reduce_perf-1x-h100-wrong-results.txt')).toEqual(['net.nccl.wrong net fatal']);
    expect(codes('nccl', 'all_reduce_perf-2x-h100-cut-mid-table.txt')).toEqual(['net.nccl.incomplete net warn']);
    expect(codes('ib', 'ib_write_bw-ndr-mlx5_0-healthy-gbits.txt')).toEqual([]);
    expect(codes('ib', 'ib_write_bw-connect-failed.txt')).toEqual(['net.ib.error net degraded']);
  });

  it('emit only catalogued codes (net.nccl.slow is in the campaign catalog)', () => {
    const known = new Set([...ncclCatalog.map((c) => c.code), 'net.nccl.slow', 'net.ib.bw']);
    for (const f of [
      'all_reduce_perf-2x-h100-ndr-slow-gpu-b07-srun.txt',
      'all_reduce_perf-2x-h100-net-ib-failure.txt',
      'all_reduce_perf-1x-h100-wrong-results.txt',
      'all_reduce_perf-2x-h100-cut-mid-table.txt',
    ]) {
      for (const o of nccl?.analyze(read(f), 0) ?? []) expect(known.has(o.code)).toBe(true);
    }
  });
});
