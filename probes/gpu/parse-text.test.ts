import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import { parseSmiText } from './parse-text.ts';

const fx = (n: string) => readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/gpu', n), 'utf8');

describe('parseSmiText', () => {
  const snap = parseSmiText(fx('a100-4gpu-q-legacy-faulty.txt'));

  it('reads the header and one record per "GPU <bus id>" block, in order', () => {
    expect(snap.format).toBe('text');
    expect(snap.partial).toBe(false);
    expect(snap.driverVersion).toBe('470.256.02');
    expect(snap.cudaVersion).toBe('11.4');
    expect(snap.attachedGpus).toBe(4);
    expect(snap.gpus.map((g) => [g.index, g.busId])).toEqual([
      [0, '00000000:07:00.0'],
      [1, '00000000:0F:00.0'],
      [2, '00000000:47:00.0'],
      [3, '00000000:4E:00.0'],
    ]);
  });

  it('reads the legacy names: Clocks Throttle Reasons with nested HW reasons, Power Readings, absolute temperatures', () => {
    const g = snap.gpus[2]!;
    expect(g.clockEvents).toMatchObject({
      gpuIdle: false,
      hwSlowdown: true,
      hwThermalSlowdown: true,
      hwPowerBrakeSlowdown: false,
      swThermalSlowdown: true,
    });
    expect(g.temperature).toMatchObject({ gpu: 87, slowdown: 89, shutdown: 92, memory: 71 });
    expect(g.power).toEqual({ draw: 351.62, limit: 400 });
    expect(g.ecc.enabled).toBe(true);
  });

  it('reads ECC (DRAM/SRAM), remapped rows, PCIe link and replays', () => {
    const bad = snap.gpus[1]!;
    expect(bad.ecc.volatile).toMatchObject({ dbe: 1, dramUncorrectable: 1, sramUncorrectable: 0 });
    expect(bad.ecc.aggregate.dbe).toBe(2);
    expect(bad.remappedRows).toEqual({ correctable: 0, uncorrectable: 2, pending: true, failure: false });
    expect(bad.retiredPages).toEqual({ sbe: undefined, dbe: undefined, pending: undefined });
    const slow = snap.gpus[3]!;
    expect(slow.pcie).toEqual({
      genCurrent: 3,
      genMax: 4,
      widthCurrent: 8,
      widthMax: 16,
      replays: 1874,
      replayRollovers: 0,
    });
    expect(slow.utilization).toEqual({ gpu: 92, memory: 44 });
    expect(slow.serial).toBe('142122003313');
    expect(slow.uuid).toBe('GPU-2b7c3e40-81d3-6fa2-0c95-7e1d3b4a963f');
  });

  it('reads partial -q -d PAGE_RETIREMENT output and marks it partial', () => {
    const p = parseSmiText(fx('v100-8gpu-q-d-page-retirement.txt'));
    expect(p.partial).toBe(true);
    expect(p.gpus).toHaveLength(8);
    expect(p.gpus[4]?.retiredPages).toEqual({ sbe: 2, dbe: 1, pending: true });
    expect(p.gpus[6]?.retiredPages).toEqual({ sbe: 1, dbe: 0, pending: false });
    expect(p.gpus[0]?.persistenceMode).toBeUndefined();
  });

  it('splits keys from values whose text contains colons', () => {
    const text = [
      '==============NVSMI LOG==============',
      'Timestamp                                 : Thu Jun 20 16:41:09 2024',
      'GPU 00000000:07:00.0',
      '    PCI',
      '        Bus Id                            : 00000000:07:00.0',
      '    GPU Recovery Action                   : Reset',
    ].join('\n');
    const [g] = parseSmiText(text).gpus;
    expect(g?.busId).toBe('00000000:07:00.0');
    expect(g?.recoveryAction).toBe('Reset');
  });

  it('rejects text without the NVSMI LOG banner', () => {
    try {
      parseSmiText('GPU 00000000:07:00.0\n    Product Name : X\n');
      expect.unreachable();
    } catch (e) {
      expect(isKeelsonError(e, 'PARSE_FAILED')).toBe(true);
    }
  });
});
