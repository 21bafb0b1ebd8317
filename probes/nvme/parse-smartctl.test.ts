import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import { isSmartctlScan, parseSmartctlJson, parseSmartctlScan } from './parse-smartctl.ts';

const fx = (name: string) => readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/nvme', name), 'utf8');

describe('parseSmartctlJson', () => {
  it('reads a healthy NVMe report with Celsius temperature', () => {
    const r = parseSmartctlJson(fx('smartctl-a-j_pm9a3_healthy.json'));
    expect(r.device).toBe('/dev/nvme0');
    expect(r.protocol).toBe('NVMe');
    expect(r.serial).toBe('S64HNE0T498765');
    expect(r.smartPassed).toBe(true);
    expect(r.exitStatus).toBe(0);
    expect(r.health).toEqual({
      criticalWarning: 0,
      temperatureC: 36,
      availableSpare: 100,
      availableSpareThreshold: 10,
      percentageUsed: 2,
      mediaErrors: 0,
      errorLogEntries: 0,
      powerOnHours: 10441,
      unsafeShutdowns: 22,
    });
  });

  it('reads a failing report', () => {
    const r = parseSmartctlJson(fx('smartctl-a-j_micron7450_reliability-degraded.json'));
    expect(r.smartPassed).toBe(false);
    expect(r.exitStatus).toBe(72);
    expect(r.health?.criticalWarning).toBe(4);
    expect(r.health?.mediaErrors).toBe(96);
  });

  it('keeps smartctl messages and has no health when the device could not be opened', () => {
    const r = parseSmartctlJson(fx('smartctl-a-j_open-failed.json'));
    expect(r.health).toBeUndefined();
    expect(r.exitStatus).toBe(2);
    expect(r.messages).toEqual(['Smartctl open device: /dev/nvme3 failed: No such device']);
  });

  it('rejects JSON that smartctl did not write', () => {
    let err: unknown;
    try {
      parseSmartctlJson('{"critical_warning":0}');
    } catch (e) {
      err = e;
    }
    expect(isKeelsonError(err, 'PARSE_FAILED')).toBe(true);
  });
});

describe('parseSmartctlScan', () => {
  it('lists scanned devices', () => {
    expect(parseSmartctlScan(fx('smartctl-scan-j_2x-nvme.json'))).toEqual([
      { name: '/dev/nvme0', type: 'nvme', protocol: 'NVMe' },
      { name: '/dev/nvme1', type: 'nvme', protocol: 'NVMe' },
    ]);
  });

  it('gives an empty list when smartctl found nothing', () => {
    expect(parseSmartctlScan(fx('smartctl-scan-j_no-devices.json'))).toEqual([]);
  });

  it('tells a scan from a device report', () => {
    expect(isSmartctlScan(JSON.parse(fx('smartctl-scan-j_no-devices.json')))).toBe(true);
    expect(isSmartctlScan(JSON.parse(fx('smartctl-a-j_pm9a3_healthy.json')))).toBe(false);
  });
});
