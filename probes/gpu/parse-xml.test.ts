import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import { parseSmiXml } from './parse-xml.ts';

const fx = (n: string) => readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/gpu', n), 'utf8');

describe('parseSmiXml', () => {
  it('reads an 8x H100 v12 log: identity, versions as strings, link, clocks, T.Limit temperatures', () => {
    const snap = parseSmiXml(fx('h100-8gpu-healthy.xml'));
    expect(snap.format).toBe('xml');
    expect(snap.attachedGpus).toBe(8);
    expect(snap.driverVersion).toBe('535.183.06');
    expect(snap.cudaVersion).toBe('12.2');
    expect(snap.gpus.map((g) => g.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const g = snap.gpus[3]!;
    expect(g.busId).toBe('00000000:5D:00.0');
    expect(g.name).toBe('NVIDIA H100 80GB HBM3');
    expect(g.serial).toBe('1652322014813');
    expect(g.persistenceMode).toBe(true);
    expect(g.pcie).toMatchObject({ genCurrent: 5, genMax: 5, widthCurrent: 16, widthMax: 16, replays: 6 });
    expect(g.clockEvents).toMatchObject({
      gpuIdle: false,
      swPowerCap: true,
      hwSlowdown: false,
      hwPowerBrakeSlowdown: false,
    });
    expect(g.temperature).toMatchObject({ gpu: 61, tlimitMargin: 24, slowdownTlimit: -2, shutdownTlimit: -8 });
    expect(g.ecc.volatile).toMatchObject({ sbe: 0, dbe: 0, dramUncorrectable: 0 });
    expect(g.remappedRows).toEqual({ correctable: 0, uncorrectable: 0, pending: false, failure: false });
    expect(g.retiredPages).toEqual({ sbe: undefined, dbe: undefined, pending: undefined });
    expect(g.power).toEqual({ draw: 652.31, limit: 700 });
    expect(g.memory).toEqual({ usedMiB: 71234, totalMiB: 81559 });
    expect(g.utilization).toEqual({ gpu: 97, memory: 41 });
    expect(g.mig).toEqual({ current: false, pending: false });
    expect(g.fabric).toEqual({ state: 'Completed', status: 'Success', health: undefined });
    expect(g.fieldErrors).toEqual([]);
  });

  it('keeps serials with leading zeros and version-like numbers as strings', () => {
    const xml = `<?xml version="1.0" ?><nvidia_smi_log><driver_version>12.10</driver_version><cuda_version>12.10</cuda_version>
      <attached_gpus>1</attached_gpus><gpu id="00000000:01:00.0"><serial>0012300456</serial><product_name>X</product_name></gpu></nvidia_smi_log>`;
    const snap = parseSmiXml(xml);
    expect(snap.driverVersion).toBe('12.10');
    expect(snap.gpus[0]?.serial).toBe('0012300456');
    expect(snap.gpus).toHaveLength(1);
  });

  it('reads row-remap failure and gpu_recovery_action from a v13 log', () => {
    const snap = parseSmiXml(fx('h100-8gpu-rowremap-failure.xml'));
    const bad = snap.gpus[5]!;
    expect(bad.remappedRows).toEqual({ correctable: 2, uncorrectable: 9, pending: false, failure: true });
    expect(bad.recoveryAction).toBe('Drain and Reset');
    expect(bad.ecc.aggregate.dbe).toBe(11);
    expect(snap.gpus.filter((g) => g.remappedRows?.failure)).toHaveLength(1);
    expect(snap.gpus[0]?.recoveryAction).toBe('None');
  });

  it('reads new-layout DRAM/SRAM ECC counts and the 535 reset status (A100)', () => {
    const [ok, bad] = parseSmiXml(fx('a100-2gpu-dbe-rowremap-pending.xml')).gpus;
    expect(ok?.ecc.volatile.dbe).toBe(0);
    expect(bad?.ecc.volatile).toEqual({
      sbe: 14,
      dbe: 2,
      dramCorrectable: 14,
      dramUncorrectable: 2,
      sramCorrectable: 0,
      sramUncorrectable: 0,
    });
    expect(bad?.remappedRows?.pending).toBe(true);
    expect(bad?.resetRequired).toBe(true);
    expect(bad?.temperature).toMatchObject({ gpu: 34, slowdown: 89, shutdown: 92 });
  });

  it('reads the old v10 layout: single_bit/double_bit totals, throttle reasons, retired pages', () => {
    const [g] = parseSmiXml(fx('v100-retired-pages-pending.xml')).gpus;
    expect(g?.ecc.volatile).toEqual({ sbe: 0, dbe: 0 });
    expect(g?.ecc.aggregate).toEqual({ sbe: 12, dbe: 3 });
    expect(g?.retiredPages).toEqual({ sbe: 1, dbe: 3, pending: true });
    expect(g?.clockEvents.gpuIdle).toBe(true);
    expect(g?.power).toEqual({ draw: 42.17, limit: 300 });
    expect(g?.remappedRows).toBeUndefined();
    expect(g?.mig).toEqual({ current: undefined, pending: undefined });
  });

  it('records fields nvidia-smi could not read', () => {
    const xml = `<nvidia_smi_log><gpu id="00000000:01:00.0"><fan_speed>Unknown Error</fan_speed>
      <temperature><gpu_temp>Unknown Error</gpu_temp></temperature></gpu></nvidia_smi_log>`;
    const [g] = parseSmiXml(xml).gpus;
    expect(g?.temperature.gpu).toBeUndefined();
    expect(g?.fieldErrors).toEqual(['temperature.gpu_temp=Unknown Error']);
  });

  it('rejects truncated or foreign XML with PARSE_FAILED', () => {
    const full = fx('h100-8gpu-healthy.xml');
    for (const bad of [full.slice(0, 3000), '<html><body/></html>', '', 'No devices were found']) {
      try {
        parseSmiXml(bad);
        expect.unreachable(`parsed ${bad.slice(0, 20)}`);
      } catch (e) {
        expect(isKeelsonError(e, 'PARSE_FAILED')).toBe(true);
      }
    }
  });
});
