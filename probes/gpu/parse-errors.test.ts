import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanSmiIssues } from './parse-errors.ts';
import { clean, isFieldError, normalizeBusId, toBool, toNumber } from './record.ts';

const fx = (n: string) => readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/gpu', n), 'utf8');

describe('scanSmiIssues', () => {
  it.each([
    ['error-no-devices.txt', 'no_devices', undefined],
    ['error-handle-unknown-error.txt', 'lost', '00000000:9A:00.0'],
    ['error-gpu-lost-reboot.txt', 'lost', '00000000:CB:00.0'],
    ['error-nvml-version-mismatch.txt', 'nvml_init', undefined],
    ['error-driver-not-loaded.txt', 'nvml_init', undefined],
    ['error-inforom-stderr.txt', 'inforom', '00000000:3A:00.0'],
  ])('%s → %s', (file, kind, busId) => {
    const issues = scanSmiIssues(fx(file));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.kind).toBe(kind);
    expect(issues[0]?.busId).toBe(busId);
    expect(issues[0]?.line.length).toBeGreaterThan(10);
  });

  it('finds nothing in healthy output and ignores "Unknown Error" as a field value', () => {
    expect(scanSmiIssues(fx('h100-8gpu-healthy.xml'))).toEqual([]);
    expect(scanSmiIssues('    Fan Speed                             : Unknown Error\n')).toEqual([]);
    expect(scanSmiIssues('Unknown Error\n')).toEqual([{ kind: 'unknown_error', line: 'Unknown Error' }]);
  });
});

describe('value readers', () => {
  it('turns N/A-style cells into undefined and keeps real text', () => {
    for (const v of ['N/A', '[N/A]', '[Not Supported]', 'Requested functionality has been deprecated', '', 'ERR!']) {
      expect(clean(v)).toBeUndefined();
    }
    expect(clean(' Enabled ')).toBe('Enabled');
    expect(isFieldError('[Unknown Error]')).toBe(true);
    expect(isFieldError('N/A')).toBe(false);
  });

  it('reads numbers with units and signs, booleans in every spelling', () => {
    expect(toNumber('33 C')).toBe(33);
    expect(toNumber('-2 C')).toBe(-2);
    expect(toNumber('50.60 W')).toBe(50.6);
    expect(toNumber('16x')).toBe(16);
    expect(toNumber('P0')).toBeUndefined();
    expect([
      toBool('Active'),
      toBool('Not Active'),
      toBool('Yes'),
      toBool('No'),
      toBool('On'),
      toBool('Disabled'),
    ]).toEqual([true, false, true, false, true, false]);
    expect(toBool('N/A')).toBeUndefined();
  });

  it('gives bus ids one spelling', () => {
    expect(normalizeBusId('0008:00:00.0')).toBe('00000008:00:00.0');
    expect(normalizeBusId('00000000:3b:00.0')).toBe('00000000:3B:00.0');
    expect(normalizeBusId('0000:19:00.0')).toBe('00000000:19:00.0');
    expect(normalizeBusId('not a bus')).toBeUndefined();
  });
});
