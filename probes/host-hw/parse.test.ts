import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import {
  mountOf,
  parseChronyTracking,
  parseEdacCount,
  parseMounts,
  parseStatFsType,
  parseTimedatectlShow,
} from './parse.ts';

const fx = (name: string) =>
  readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/host-hw', name), 'utf8');

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('parseEdacCount', () => {
  it('reads a sysfs counter', () => {
    expect(parseEdacCount('17\n')).toBe(17);
    expect(parseEdacCount(fx('edac-2mc-ue/sys/devices/system/edac/mc/mc1/ue_count'))).toBe(1);
  });
  it('rejects anything else', () => {
    for (const bad of ['', '-1', 'abc', '1.5'])
      expect(
        isKeelsonError(
          errorOf(() => parseEdacCount(bad)),
          'PARSE_FAILED',
        ),
      ).toBe(true);
  });
});

describe('parseMounts / mountOf', () => {
  const table = parseMounts(fx('proc-mounts/dgx-h100_lustre-nfs.txt'));

  it('reads entries and undoes octal escapes', () => {
    expect(table).toHaveLength(11);
    expect(table.find((e) => e.fstype === 'lustre')).toMatchObject({
      source: '10.10.0.5@o2ib:10.10.0.6@o2ib:/lfs01',
      mountPoint: '/lustre',
    });
    expect(table.at(-1)?.mountPoint).toBe('/mnt/local scratch');
  });

  it('finds the mount a path lives on by the longest mount point', () => {
    expect(mountOf(table, '/lustre/project/ckpt')?.fstype).toBe('lustre');
    expect(mountOf(table, '/lustre/')?.fstype).toBe('lustre');
    expect(mountOf(table, '/lustreX')?.mountPoint).toBe('/');
    expect(mountOf(table, '/home/alice')?.fstype).toBe('nfs4');
    expect(mountOf(table, '/dev/shm/keelson')?.fstype).toBe('tmpfs');
  });

  it('rejects a non-empty file with no mount line', () => {
    expect(parseMounts('')).toEqual([]);
    expect(
      isKeelsonError(
        errorOf(() => parseMounts('nonsense\n')),
        'PARSE_FAILED',
      ),
    ).toBe(true);
  });
});

describe('parseStatFsType', () => {
  it('reads one type name', () => {
    expect(parseStatFsType('lustre\n')).toBe('lustre');
    expect(parseStatFsType('UNKNOWN (0x0bd00bd0)\n')).toBe('UNKNOWN (0x0bd00bd0)');
    expect(
      isKeelsonError(
        errorOf(() => parseStatFsType('')),
        'PARSE_FAILED',
      ),
    ).toBe(true);
  });
});

describe('parseChronyTracking', () => {
  it('reads a synchronised clock and a signed offset (slow = negative)', () => {
    const t = parseChronyTracking(fx('chrony/tracking_synced.txt'));
    expect(t).toEqual({
      referenceId: 'A9FEA97B (169.254.169.123)',
      stratum: 4,
      offsetSec: -0.000003121,
      leapStatus: 'Normal',
      synchronised: true,
    });
  });

  it('reads an unsynchronised clock', () => {
    const t = parseChronyTracking(fx('chrony/tracking_not-synchronised.txt'));
    expect(t.synchronised).toBe(false);
    expect(t.leapStatus).toBe('Not synchronised');
  });

  it('reads a fast clock as a positive offset', () => {
    expect(parseChronyTracking(fx('chrony/tracking_offset-412ms-fast.txt')).offsetSec).toBeCloseTo(0.412551023);
  });

  it('rejects chronyc errors', () => {
    expect(
      isKeelsonError(
        errorOf(() => parseChronyTracking(fx('chrony/cannot-talk-to-daemon.txt'))),
        'PARSE_FAILED',
      ),
    ).toBe(true);
  });
});

describe('parseTimedatectlShow', () => {
  it('reads NTPSynchronized and NTP', () => {
    expect(parseTimedatectlShow(fx('timedatectl/show_synced.txt'))).toEqual({
      ntpSynchronized: true,
      ntpEnabled: true,
    });
    expect(parseTimedatectlShow(fx('timedatectl/show_ntp-off.txt'))).toEqual({
      ntpSynchronized: false,
      ntpEnabled: false,
    });
  });
  it('rejects output without NTPSynchronized', () => {
    expect(
      isKeelsonError(
        errorOf(() => parseTimedatectlShow('System has not been booted with systemd')),
        'PARSE_FAILED',
      ),
    ).toBe(true);
  });
});
