import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import { parseSmiTable } from './parse-table.ts';

const fx = (n: string) => readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/gpu', n), 'utf8');

describe('parseSmiTable', () => {
  const snap = parseSmiTable(fx('h100-4gpu-table-err-ecc.txt'));

  it('reads versions and one record per GPU block, not the process table', () => {
    expect(snap.format).toBe('table');
    expect(snap.driverVersion).toBe('550.127.08');
    expect(snap.cudaVersion).toBe('12.4');
    expect(snap.gpus.map((g) => [g.index, g.busId])).toEqual([
      [0, '00000000:18:00.0'],
      [1, '00000000:2A:00.0'],
      [2, '00000000:3A:00.0'],
      [3, '00000000:5D:00.0'],
    ]);
  });

  it('reads the cells of a healthy row', () => {
    const g = snap.gpus[0]!;
    expect(g.name).toBe('NVIDIA H100 80GB HBM3');
    expect(g.persistenceMode).toBe(true);
    expect(g.temperature.gpu).toBe(61);
    expect(g.power).toEqual({ draw: 688, limit: 700 });
    expect(g.memory).toEqual({ usedMiB: 74210, totalMiB: 81559 });
    expect(g.utilization.gpu).toBe(100);
    expect(g.ecc.volatile.dbe).toBe(0);
    expect(g.mig.current).toBe(false);
    expect(g.fieldErrors).toEqual([]);
  });

  it('reads the volatile uncorrectable ECC count and ERR! cells', () => {
    expect(snap.gpus[1]?.ecc.volatile.dbe).toBe(3);
    const err = snap.gpus[3]!;
    expect(err.ecc.volatile.dbe).toBeUndefined();
    expect(err.temperature.gpu).toBeUndefined();
    expect(err.fieldErrors).toEqual([
      'volatile_uncorrectable_ecc=ERR!',
      'fan=ERR!',
      'temperature=ERR!',
      'perf=ERR!',
      'power_draw=ERR!',
      'utilization=ERR!',
    ]);
  });

  it('picks up an infoROM warning printed after the table', () => {
    const t = `${fx('h100-4gpu-table-err-ecc.txt')}WARNING: infoROM is corrupted at gpu 0000:3A:00.0\n`;
    expect(parseSmiTable(t).issues).toEqual([
      { kind: 'inforom', busId: '00000000:3A:00.0', line: 'WARNING: infoROM is corrupted at gpu 0000:3A:00.0' },
    ]);
  });

  it('rejects text without the NVIDIA-SMI header', () => {
    try {
      parseSmiTable('No devices were found\n');
      expect.unreachable();
    } catch (e) {
      expect(isKeelsonError(e, 'PARSE_FAILED')).toBe(true);
    }
  });
});
