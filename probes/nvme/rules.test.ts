import { describe, expect, it } from 'vitest';
import type { SmartHealth } from './parse.ts';
import { evaluateControllerState, evaluateSmartHealth, evaluateVolume, usedRatio } from './rules.ts';

const healthy: SmartHealth = {
  criticalWarning: 0,
  temperatureC: 40,
  availableSpare: 100,
  availableSpareThreshold: 10,
  percentageUsed: 3,
  mediaErrors: 0,
};

const codes = (h: SmartHealth) => evaluateSmartHealth('nvme0', h, undefined, 1000).observations.map((o) => o.code);

describe('evaluateSmartHealth', () => {
  it('finds nothing on a healthy drive', () => {
    expect(evaluateSmartHealth('nvme0', healthy, undefined, 1000).observations).toEqual([]);
  });

  it('names the critical_warning bits; read-only or reliability degraded is fatal/drain', () => {
    const [o] = evaluateSmartHealth('nvme1', { ...healthy, criticalWarning: 0x0c }, undefined, 0).observations;
    expect(o?.code).toBe('nvme.critical_warning');
    expect(o?.component).toBe('nvme1');
    expect(o?.severity).toBe('fatal');
    expect(o?.action).toBe('drain');
    expect(o?.message).toContain('reliability_degraded');
    expect(o?.message).toContain('read_only');
    expect(o?.evidence).toBe('critical_warning=0x0c [reliability_degraded,read_only]');
  });

  it('rates a spare or temperature warning bit as degraded, not fatal', () => {
    for (const bits of [0x01, 0x02, 0x10, 0x20]) {
      const o = evaluateSmartHealth('nvme0', { ...healthy, criticalWarning: bits }, undefined, 0).observations.find(
        (x) => x.code === 'nvme.critical_warning',
      );
      expect(o?.severity).toBe('degraded');
      expect(o?.action).toBe('inspect-hardware');
    }
  });

  it('warns on media errors on record in a single snapshot', () => {
    const [o] = evaluateSmartHealth('nvme0', { ...healthy, mediaErrors: 7 }, undefined, 0).observations;
    expect(o?.code).toBe('nvme.media_errors');
    expect(o?.severity).toBe('warn');
  });

  it('is degraded when media errors grow between readings, with the rate', () => {
    const first = evaluateSmartHealth('nvme0', { ...healthy, mediaErrors: 7 }, undefined, 0);
    const second = evaluateSmartHealth('nvme0', { ...healthy, mediaErrors: 9 }, first.media, 3_600_000);
    const o = second.observations.find((x) => x.code === 'nvme.media_errors');
    expect(o?.severity).toBe('degraded');
    expect(o?.message).toContain('grew by 2 to 9 (2.0/h)');
    expect(second.media).toEqual({ value: 9, at: 3_600_000 });
  });

  it('does not call a counter that went down (drive replaced) growth', () => {
    const second = evaluateSmartHealth('nvme0', { ...healthy, mediaErrors: 3 }, { value: 50, at: 0 }, 60_000);
    expect(second.observations.find((x) => x.code === 'nvme.media_errors')?.severity).toBe('warn');
    const clean = evaluateSmartHealth('nvme0', healthy, { value: 50, at: 0 }, 60_000);
    expect(clean.observations).toEqual([]);
  });

  it('warns at 80% wear and is degraded at 100%', () => {
    expect(codes({ ...healthy, percentageUsed: 79 })).toEqual([]);
    const warn = evaluateSmartHealth('nvme0', { ...healthy, percentageUsed: 80 }, undefined, 0).observations[0];
    expect([warn?.code, warn?.severity]).toEqual(['nvme.wear', 'warn']);
    const worn = evaluateSmartHealth('nvme0', { ...healthy, percentageUsed: 104 }, undefined, 0).observations[0];
    expect([worn?.code, worn?.severity, worn?.action]).toEqual(['nvme.wear', 'degraded', 'inspect-hardware']);
  });

  it('is degraded when available spare is below its threshold', () => {
    expect(codes({ ...healthy, availableSpare: 10, availableSpareThreshold: 10 })).toEqual([]);
    const o = evaluateSmartHealth('nvme0', { ...healthy, availableSpare: 9 }, undefined, 0).observations[0];
    expect([o?.code, o?.severity]).toEqual(['nvme.spare', 'degraded']);
  });

  it('judges temperature against the limits', () => {
    expect(codes({ ...healthy, temperatureC: 69 })).toEqual([]);
    const warm = evaluateSmartHealth('nvme0', { ...healthy, temperatureC: 72 }, undefined, 0).observations[0];
    expect([warm?.code, warm?.severity]).toEqual(['nvme.temperature', 'warn']);
    const hot = evaluateSmartHealth('nvme0', { ...healthy, temperatureC: 85 }, undefined, 0).observations[0];
    expect(hot?.severity).toBe('degraded');
    const custom = evaluateSmartHealth('nvme0', { ...healthy, temperatureC: 72 }, undefined, 0, {
      wearWarnPct: 80,
      wearDegradedPct: 100,
      temperatureWarnC: 75,
      temperatureCritC: 85,
      diskWarnRatio: 0.9,
      diskDegradedRatio: 0.97,
    });
    expect(custom.observations).toEqual([]);
  });
});

describe('evaluateControllerState', () => {
  it('ignores live, warns while resetting, is degraded when dead', () => {
    expect(evaluateControllerState('nvme0', 'live')).toEqual([]);
    expect(evaluateControllerState('nvme0', undefined)).toEqual([]);
    expect(evaluateControllerState('nvme0', 'resetting')[0]?.severity).toBe('warn');
    expect(evaluateControllerState('nvme0', 'dead')[0]?.severity).toBe('degraded');
  });
});

describe('evaluateVolume', () => {
  const GiB = 1024 ** 3;
  const vol = (usedGiB: number, reservedGiB = 0) => ({
    path: '/mnt/ckpt',
    totalBytes: 100 * GiB,
    freeBytes: (100 - usedGiB) * GiB,
    availBytes: (100 - usedGiB - reservedGiB) * GiB,
  });

  it('computes used fraction as df does (root-reserved blocks count as unavailable)', () => {
    expect(usedRatio(vol(50))).toBeCloseTo(0.5);
    expect(usedRatio(vol(50, 5))).toBeCloseTo(50 / 95);
    expect(usedRatio({ path: '/x', totalBytes: 0, freeBytes: 0, availBytes: 0 })).toBeUndefined();
  });

  it('warns at 90% and is degraded at 97%', () => {
    expect(evaluateVolume(vol(89))).toEqual([]);
    const warn = evaluateVolume(vol(90))[0];
    expect([warn?.code, warn?.component, warn?.severity]).toEqual(['host.disk.full', 'mount:/mnt/ckpt', 'warn']);
    expect(evaluateVolume(vol(97))[0]?.severity).toBe('degraded');
  });
});
