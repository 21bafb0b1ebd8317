import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import { looksLikePerftestBw, parsePerftestBw } from './parse-perftest.ts';

const FIX = path.resolve(import.meta.dirname, '../../test/fixtures/nccl');
const read = (f: string) => readFileSync(path.join(FIX, f), 'utf8');

describe('parsePerftestBw', () => {
  it('reads the settings block and a Gb/sec table', () => {
    const r = parsePerftestBw(read('ib_write_bw-ndr-mlx5_0-healthy-gbits.txt'));
    expect(r.test).toBe('RDMA_Write BW Test');
    expect(r.settings).toMatchObject({
      Device: 'mlx5_0',
      'Number of qps': '4',
      'Transport type': 'IB',
      'Link type': 'IB',
      Mtu: '4096[B]',
    });
    expect(r.unit).toBe('Gb/sec');
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]?.bytes).toBe(65536);
    expect(r.rows[0]?.averageGbps).toBeGreaterThan(380);
    expect(r.errors).toEqual([]);
  });

  it('converts MB/sec (2^20 bytes) to Gb/s', () => {
    const r = parsePerftestBw(read('ib_write_bw-ndr-mlx5_3-slow-mbsec.txt'));
    expect(r.unit).toBe('MB/sec');
    expect(r.settings.Device).toBe('mlx5_3');
    const mb = 21128.41;
    expect(r.rows[0]?.averageGbps).toBeCloseTo((mb * 1048576 * 8) / 1e9, 6);
  });

  it('keeps connection failures as errors', () => {
    const r = parsePerftestBw(read('ib_write_bw-connect-failed.txt'));
    expect(r.rows).toEqual([]);
    expect(r.errors[0]).toBe("Couldn't connect to gpu-b06:24569");
    expect(looksLikePerftestBw(read('ib_write_bw-connect-failed.txt'))).toBe(false);
  });

  it('throws PARSE_FAILED on unrelated text', () => {
    expect(() => parsePerftestBw('hello\nworld\n')).toThrow();
    try {
      parsePerftestBw('');
    } catch (e) {
      expect(isKeelsonError(e, 'PARSE_FAILED')).toBe(true);
    }
  });
});
