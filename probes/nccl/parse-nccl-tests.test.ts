import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import { looksLikeNcclTests, parseNcclTests, parseNcclTestsRow } from './parse-nccl-tests.ts';

const FIX = path.resolve(import.meta.dirname, '../../test/fixtures/nccl');
const read = (f: string) => readFileSync(path.join(FIX, f), 'utf8');

describe('parseNcclTests', () => {
  it('reads a healthy 2-node run behind mpirun --tag-output prefixes', () => {
    const r = parseNcclTests(read('all_reduce_perf-2x-h100-ndr-healthy-mpirun.txt'));
    expect(r.prefix).toBe('mpirun');
    expect(r.header).toMatchObject({
      nThread: 1,
      nGpus: 1,
      minBytes: 8,
      maxBytes: 17179869184,
      warmup_iters: 5,
      iters: 20,
    });
    expect(r.devices).toHaveLength(16);
    expect(r.devices[9]).toEqual({
      rank: 9,
      pid: 100101,
      host: 'gpu-a02',
      device: 1,
      busId: '0000:2d:00',
      name: 'NVIDIA H100 80GB HBM3',
    });
    expect(r.hosts).toEqual(['gpu-a01', 'gpu-a02']);
    expect(r.rows).toHaveLength(32);
    expect(r.rows[0]).toMatchObject({ bytes: 8, count: 2, type: 'float', redop: 'sum', root: -1 });
    expect(r.rows.at(-1)?.outOfPlace).toEqual({ timeUs: 66193, algbwGBps: 259.54, busbwGBps: 486.64, wrong: 0 });
    expect(r.outOfBounds).toEqual({ count: 0, ok: true });
    expect(r.avgBusbwGBps).toBeGreaterThan(0);
    expect(r.errors).toEqual([]);
  });

  it('strips srun -l labels', () => {
    const r = parseNcclTests(read('all_reduce_perf-2x-h100-ndr-slow-gpu-b07-srun.txt'));
    expect(r.prefix).toBe('srun');
    expect(r.hosts).toEqual(['gpu-b06', 'gpu-b07']);
    expect(r.rows[0]?.bytes).toBe(1048576);
    expect(r.rows.at(-1)?.inPlace?.busbwGBps).toBeLessThan(250);
  });

  it('collects NCCL WARN and Test failure lines of a run that died', () => {
    const r = parseNcclTests(read('all_reduce_perf-2x-h100-net-ib-failure.txt'));
    expect(r.rows).toEqual([]);
    expect(r.avgBusbwGBps).toBeUndefined();
    expect(r.errors.map((e) => e.kind)).toEqual(['nccl-warn', 'test-failure', 'test-failure']);
    expect(r.errors[1]?.line).toMatch(/^gpu-b07: Test NCCL failure common\.cu:1279/);
  });

  it('flags non-zero #wrong and a FAILED out-of-bounds count', () => {
    const r = parseNcclTests(read('all_reduce_perf-1x-h100-wrong-results.txt'));
    expect(r.outOfBounds).toEqual({ count: 24, ok: false });
    expect(r.errors.filter((e) => e.kind === 'wrong-results')).toHaveLength(8);
    expect(r.errors.some((e) => e.kind === 'out-of-bounds')).toBe(true);
  });

  it('reads N/A columns and 9-column tables, rejects other lines', () => {
    expect(
      parseNcclTestsRow('  1048576  262144  float  none  -1  28.56  36.71  64.24  N/A')?.outOfPlace.wrong,
    ).toBeNull();
    expect(
      parseNcclTestsRow('  1048576  262144  float  sum  -1  28.56  36.71  64.24  0  N/A  N/A  N/A  N/A')?.inPlace,
    ).toEqual({
      timeUs: null,
      algbwGBps: null,
      busbwGBps: null,
      wrong: null,
    });
    expect(parseNcclTestsRow('# Avg bus bandwidth : 1')).toBeUndefined();
    expect(parseNcclTestsRow('3 data size: 4.0 GB')).toBeUndefined();
  });

  it('throws PARSE_FAILED on text with nothing of nccl-tests, and sniffs accordingly', () => {
    const torch = 'host:1:1 [0] NCCL INFO Bootstrap : Using ib0\n 3:\n busbw: 14.9  Gbps\n';
    expect(looksLikeNcclTests(torch)).toBe(false);
    try {
      parseNcclTests(torch);
      expect.unreachable();
    } catch (e) {
      expect(isKeelsonError(e, 'PARSE_FAILED')).toBe(true);
    }
    expect(looksLikeNcclTests(read('all_reduce_perf-2x-h100-cut-mid-table.txt'))).toBe(true);
  });
});
