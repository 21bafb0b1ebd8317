import { describe, expect, it } from 'vitest';
import { evaluateClock, evaluateEdac, evaluateMount, evaluateShm } from './rules.ts';

const HOUR = 3_600_000;

describe('evaluateEdac', () => {
  const clean = [
    { mc: 'mc0', ce: 0, ue: 0 },
    { mc: 'mc1', ce: 0, ue: 0 },
  ];

  it('is quiet on clean counters and keeps readings with the boot id', () => {
    const r = evaluateEdac(clean, undefined, 0, 'boot-a', 10);
    expect(r.observations).toEqual([]);
    expect(r.state.mc1?.ce).toEqual({ value: 0, at: 0, bootId: 'boot-a' });
  });

  it('is fatal, drain and sticky on uncorrectable errors in a single snapshot', () => {
    const [o] = evaluateEdac(
      [{ mc: 'mc0', ce: 0, ue: 2, name: 'Intel_10nm Socket#0 IMC#0' }],
      undefined,
      0,
      undefined,
      10,
    ).observations;
    expect([o?.code, o?.severity, o?.action, o?.sticky]).toEqual(['host.edac.ue', 'fatal', 'drain', true]);
    expect(o?.evidence).toBe('mc0 (Intel_10nm Socket#0 IMC#0) ue_count=2');
  });

  it('names the growth of uncorrectable errors between readings', () => {
    const first = evaluateEdac(clean, undefined, 0, 'b', 10);
    const [o] = evaluateEdac([clean[0]!, { mc: 'mc1', ce: 0, ue: 1 }], first.state, 60_000, 'b', 10).observations;
    expect(o?.message).toContain('1 new since the last reading');
  });

  it('warns when correctable errors arrive at the limit rate, not below it', () => {
    const first = evaluateEdac(clean, undefined, 0, 'b', 10);
    const slow = evaluateEdac([{ mc: 'mc0', ce: 9, ue: 0 }, clean[1]!], first.state, HOUR, 'b', 10);
    expect(slow.observations).toEqual([]);
    const fast = evaluateEdac(
      [
        { mc: 'mc0', ce: 5, ue: 0 },
        { mc: 'mc1', ce: 6, ue: 0 },
      ],
      first.state,
      HOUR,
      'b',
      10,
    );
    const [o] = fast.observations;
    expect([o?.code, o?.severity]).toEqual(['host.edac.ce', 'warn']);
    expect(o?.message).toContain('11.0/h');
  });

  it('does not count correctable errors across a reboot (boot id changed) or in a single snapshot', () => {
    expect(evaluateEdac([{ mc: 'mc0', ce: 5000, ue: 0 }], undefined, 0, 'a', 10).observations).toEqual([]);
    const first = evaluateEdac([{ mc: 'mc0', ce: 0, ue: 0 }], undefined, 0, 'a', 10);
    expect(evaluateEdac([{ mc: 'mc0', ce: 5000, ue: 0 }], first.state, 60_000, 'b', 10).observations).toEqual([]);
  });
});

describe('evaluateShm', () => {
  it('warns only when /dev/shm is smaller than the budget', () => {
    expect(evaluateShm(64 * 1024 ** 3, undefined)).toEqual([]);
    expect(evaluateShm(64 * 1024 ** 3, 64 * 1024 ** 3)).toEqual([]);
    const [o] = evaluateShm(32 * 1024 ** 3, 64 * 1024 ** 3);
    expect([o?.code, o?.severity]).toEqual(['host.shm.small', 'warn']);
    expect(o?.message).toContain('32.0 GiB');
  });
});

describe('evaluateMount', () => {
  it('maps each outcome to its finding', () => {
    expect(evaluateMount({ path: '/lustre', status: 'ok', fstype: 'lustre' })).toEqual([]);
    const hung = evaluateMount({ path: '/lustre', status: 'hung', waitedMs: 5000 })[0];
    expect([hung?.code, hung?.component, hung?.severity]).toEqual(['host.mount.hung', 'mount:/lustre', 'degraded']);
    const missing = evaluateMount({ path: '/lustre', status: 'missing', why: 'not mounted' })[0];
    expect([missing?.code, missing?.severity]).toEqual(['host.mount.missing', 'degraded']);
    expect(evaluateMount({ path: '/x', status: 'error', why: 'EACCES' })[0]?.code).toBe('host.mount.error');
  });
});

describe('evaluateClock', () => {
  const tracking = { leapStatus: 'Normal', synchronised: true, offsetSec: 0.00001 };

  it('is quiet when synchronised within the limit', () => {
    expect(evaluateClock({ source: 'chrony', tracking }, 100)).toEqual([]);
    expect(evaluateClock({ source: 'timedatectl', show: { ntpSynchronized: true } }, 100)).toEqual([]);
  });

  it('warns when unsynchronised by either tool', () => {
    const c = evaluateClock(
      { source: 'chrony', tracking: { leapStatus: 'Not synchronised', synchronised: false } },
      100,
    )[0];
    expect([c?.code, c?.severity, c?.evidence]).toEqual([
      'host.clock.unsynced',
      'warn',
      'Leap status: Not synchronised',
    ]);
    const t = evaluateClock({ source: 'timedatectl', show: { ntpSynchronized: false, ntpEnabled: false } }, 100)[0];
    expect([t?.code, t?.evidence]).toEqual(['host.clock.unsynced', 'NTPSynchronized=no NTP=no']);
  });

  it('warns on an offset above the limit, either direction', () => {
    const fast = evaluateClock({ source: 'chrony', tracking: { ...tracking, offsetSec: 0.25 } }, 100)[0];
    expect([fast?.code, fast?.message]).toEqual([
      'host.clock.offset',
      'the system clock is 250.0 ms fast (limit 100 ms)',
    ]);
    expect(evaluateClock({ source: 'chrony', tracking: { ...tracking, offsetSec: -0.25 } }, 100)[0]?.message).toContain(
      'slow',
    );
  });
});
