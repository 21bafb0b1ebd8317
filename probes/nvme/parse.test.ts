import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import {
  controllerOfDevice,
  decodeCriticalWarning,
  nvmeCliTemperatureC,
  parseNvmeList,
  parseSmartLog,
} from './parse.ts';

const fx = (name: string) => readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/nvme', name), 'utf8');

function parseError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('parseNvmeList', () => {
  it('reads the flat nvme-cli 1.x layout and merges namespaces per controller', () => {
    const list = parseNvmeList(fx('nvmecli1-list-flat_2x-pm9a3.json'));
    expect(list.layout).toBe('flat');
    expect(list.controllers.map((c) => c.name)).toEqual(['nvme0', 'nvme1']);
    const nvme1 = list.controllers[1];
    expect(nvme1?.serial).toBe('S64HNE0T412346');
    expect(nvme1?.model).toBe('SAMSUNG MZQL23T8HCLS-00A07');
    expect(nvme1?.namespaces.map((n) => n.name)).toEqual(['nvme1n1', 'nvme1n2']);
    expect(nvme1?.namespaces[0]?.sizeBytes).toBe(3840755982336);
  });

  it('reads the nested nvme-cli 2.x Subsystems/Controllers/Namespaces layout', () => {
    const list = parseNvmeList(fx('nvmecli2-list-nested_dgx-h100-3x.json'));
    expect(list.layout).toBe('nested');
    expect(list.controllers.map((c) => [c.name, c.serial, c.address])).toEqual([
      ['nvme0', 'S4YNNE0R200111', '0000:ad:00.0'],
      ['nvme1', 'S4YNNE0R200112', '0000:ae:00.0'],
      ['nvme2', '22270E7C9E20', '0000:02:00.0'],
    ]);
    expect(list.controllers[2]?.model).toBe('Micron_7450_MTFDKBA960TFR');
    expect(list.controllers[2]?.namespaces[0]).toEqual({
      name: 'nvme2n1',
      nsid: 1,
      sizeBytes: 960197124096,
      usedBytes: 48022065152,
    });
  });

  it('accepts an empty device list', () => {
    expect(parseNvmeList(fx('nvmecli-list_no-devices.json')).controllers).toEqual([]);
  });

  it('rejects output that is not a device list with PARSE_FAILED', () => {
    expect(
      isKeelsonError(
        parseError(() => parseNvmeList('No NVMe devices detected.')),
        'PARSE_FAILED',
      ),
    ).toBe(true);
    expect(
      isKeelsonError(
        parseError(() => parseNvmeList('{"devices": []}')),
        'PARSE_FAILED',
      ),
    ).toBe(true);
    expect(
      isKeelsonError(
        parseError(() => parseNvmeList('{"Devices": [{"Foo": 1}]}')),
        'PARSE_FAILED',
      ),
    ).toBe(true);
  });

  it('derives controller names from namespace and partition device paths', () => {
    expect(controllerOfDevice('/dev/nvme12n1')).toBe('nvme12');
    expect(controllerOfDevice('/dev/nvme0c1n3')).toBe('nvme0');
    expect(controllerOfDevice('/dev/nvme3n1p2')).toBe('nvme3');
    expect(controllerOfDevice('/dev/sda')).toBe('sda');
  });
});

describe('parseSmartLog', () => {
  it('reads nvme-cli 1.x numbers, temperature in Kelvin', () => {
    expect(parseSmartLog(fx('nvmecli1-smart-log_pm9a3_healthy.json'))).toEqual({
      criticalWarning: 0,
      temperatureC: 36,
      availableSpare: 100,
      availableSpareThreshold: 10,
      percentageUsed: 1,
      mediaErrors: 0,
      errorLogEntries: 0,
      powerOnHours: 9812,
      unsafeShutdowns: 21,
    });
  });

  it('reads the nvme-cli 2.x critical_warning object and counters given as strings', () => {
    const h = parseSmartLog(fx('nvmecli2-smart-log_micron7450_critical-ro.json'));
    expect(h.criticalWarning).toBe(13);
    expect(decodeCriticalWarning(h.criticalWarning)).toEqual([
      'spare_below_threshold',
      'reliability_degraded',
      'read_only',
    ]);
    expect(h.mediaErrors).toBe(1482);
    expect(h.errorLogEntries).toBe(2966);
    expect(h.availableSpare).toBe(4);
    expect(h.temperatureC).toBe(48);
  });

  it('rebuilds critical_warning from the object flags when "value" is absent', () => {
    const h = parseSmartLog('{"critical_warning":{"available_spare":0,"temp_threshold":1,"ro":1},"temperature":300}');
    expect(h.criticalWarning).toBe(0x0a);
  });

  it('accepts percentage_used spelling and a hex critical_warning string', () => {
    const h = parseSmartLog(
      '{"critical_warning":"0x20","percentage_used":"101%","media_errors":"340282366920938463463374607431768211455"}',
    );
    expect(h.criticalWarning).toBe(0x20);
    expect(decodeCriticalWarning(h.criticalWarning)).toEqual(['pmr_read_only']);
    expect(h.percentageUsed).toBe(101);
    expect(h.mediaErrors).toBeGreaterThan(1e38);
  });

  it('rejects JSON that is not a SMART log', () => {
    expect(
      isKeelsonError(
        parseError(() => parseSmartLog('{"temperature": 300}')),
        'PARSE_FAILED',
      ),
    ).toBe(true);
    expect(
      isKeelsonError(
        parseError(() => parseSmartLog('{"critical_warning": "lots"}')),
        'PARSE_FAILED',
      ),
    ).toBe(true);
    expect(
      isKeelsonError(
        parseError(() => parseSmartLog('[1,2]')),
        'PARSE_FAILED',
      ),
    ).toBe(true);
  });
});

describe('nvmeCliTemperatureC', () => {
  it('treats numbers as Kelvin and reads unit-bearing strings', () => {
    expect(nvmeCliTemperatureC(324)).toBe(51);
    expect(nvmeCliTemperatureC('324')).toBe(51);
    expect(nvmeCliTemperatureC('51 °C (324 K)')).toBe(51);
    expect(nvmeCliTemperatureC('51 C')).toBe(51);
    expect(nvmeCliTemperatureC('324 K')).toBe(51);
    expect(nvmeCliTemperatureC(0)).toBeUndefined();
    expect(nvmeCliTemperatureC('hot')).toBeUndefined();
  });
});
