import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_NCCL_BASELINES, expectedBusbw, findNcclBaseline, judgeNcclTests, judgePerftest } from './baselines.ts';
import { parseNcclTests } from './parse-nccl-tests.ts';
import { parsePerftestBw } from './parse-perftest.ts';

const FIX = path.resolve(import.meta.dirname, '../../test/fixtures/nccl');
const nccl = (f: string) => parseNcclTests(readFileSync(path.join(FIX, f), 'utf8'));
const GiB = 1024 ** 3;

describe('baselines', () => {
  it('picks the baseline by GPU name and scope (hosts in the device lines)', () => {
    expect(findNcclBaseline(nccl('all_reduce_perf-2x-h100-ndr-healthy-mpirun.txt'))?.id).toBe('h100-8gpu-ndr');
    expect(findNcclBaseline(nccl('all_reduce_perf-1x-h100-wrong-results.txt'))?.id).toBe('h100-8gpu-nvlink');
    // the cut capture shows only the last device line: one host, so NVLink scope
    expect(findNcclBaseline(nccl('all_reduce_perf-2x-h100-cut-mid-table.txt'))?.id).toBe('h100-8gpu-nvlink');
    expect(
      findNcclBaseline({ ...nccl('all_reduce_perf-2x-h100-ndr-healthy-mpirun.txt'), devices: [] }),
    ).toBeUndefined();
  });

  it('expects the largest applicable point for a size, nothing below the smallest', () => {
    const h100 = DEFAULT_NCCL_BASELINES.find((b) => b.id === 'h100-8gpu-ndr');
    if (!h100) throw new Error('missing');
    expect(expectedBusbw(h100, GiB / 2)).toBeUndefined();
    expect(expectedBusbw(h100, GiB)).toBe(430);
    expect(expectedBusbw(h100, 6 * GiB)).toBe(460);
    expect(expectedBusbw(h100, 16 * GiB)).toBe(475);
  });

  it('judges healthy as pass, a slow node as slow, failures as failed', () => {
    const ok = nccl('all_reduce_perf-2x-h100-ndr-healthy-mpirun.txt');
    const pass = judgeNcclTests(ok, findNcclBaseline(ok));
    expect(pass).toMatchObject({ verdict: 'pass', expected: 475, atBytes: 16 * GiB, baselineId: 'h100-8gpu-ndr' });
    const slowRec = nccl('all_reduce_perf-2x-h100-ndr-slow-gpu-b07-srun.txt');
    const slow = judgeNcclTests(slowRec, findNcclBaseline(slowRec));
    expect(slow.verdict).toBe('slow');
    expect(slow.measured).toBeLessThan(475 * 0.9);
    expect(slow.reasons[0]).toMatch(/< 427\.5 GB\/s/);
    expect(judgeNcclTests(nccl('all_reduce_perf-2x-h100-net-ib-failure.txt'), undefined).verdict).toBe('failed');
    expect(judgeNcclTests(nccl('all_reduce_perf-1x-h100-wrong-results.txt'), undefined).verdict).toBe('failed');
  });

  it('says unknown without a baseline or without large messages', () => {
    const ok = nccl('all_reduce_perf-2x-h100-ndr-healthy-mpirun.txt');
    expect(judgeNcclTests(ok, undefined).verdict).toBe('unknown');
    const cut = nccl('all_reduce_perf-2x-h100-cut-mid-table.txt');
    expect(judgeNcclTests({ ...cut, avgBusbwGBps: 1 }, findNcclBaseline(cut)).verdict).toBe('unknown');
  });

  it('a tolerance boundary: exactly at expected × (1 − tolerance) passes, just below is slow', () => {
    const base = nccl('all_reduce_perf-2x-h100-ndr-healthy-mpirun.txt');
    const at = (busbw: number) => ({
      ...base,
      rows: [
        {
          ...(base.rows.at(-1) as (typeof base.rows)[number]),
          outOfPlace: { timeUs: 1, algbwGBps: 1, busbwGBps: busbw, wrong: 0 },
          inPlace: undefined,
        },
      ],
    });
    const b = findNcclBaseline(base);
    expect(judgeNcclTests(at(427.5), b, 0.1).verdict).toBe('pass');
    expect(judgeNcclTests(at(427.49), b, 0.1).verdict).toBe('slow');
  });

  it('judges ib_write_bw against ~97% of the link rate', () => {
    const read = (f: string) => parsePerftestBw(readFileSync(path.join(FIX, f), 'utf8'));
    expect(judgePerftest(read('ib_write_bw-ndr-mlx5_0-healthy-gbits.txt'), 400)).toMatchObject({
      verdict: 'pass',
      expected: 388,
    });
    expect(judgePerftest(read('ib_write_bw-ndr-mlx5_3-slow-mbsec.txt'), 400).verdict).toBe('slow');
    // 21128 MB/s = 177 Gb/s: healthy for an HDR (200G) port, not for NDR
    expect(judgePerftest(read('ib_write_bw-ndr-mlx5_3-slow-mbsec.txt'), 200).verdict).toBe('pass');
    expect(judgePerftest(read('ib_write_bw-connect-failed.txt'), 400).verdict).toBe('failed');
    expect(judgePerftest(read('ib_write_bw-ndr-mlx5_0-healthy-gbits.txt'), undefined).verdict).toBe('unknown');
  });
});
