/** Rules: burst grouping, fallen-off-bus folding, OOM dedupe, flap detection, boot-id resets. */
import { describe, expect, it } from 'vitest';
import type { KernelLine } from './parse.ts';
import {
  analyzeLines,
  type IngestContext,
  ingestLine,
  type KernelObservation,
  lineTime,
  newKernelLogState,
  openConditions,
} from './rules.ts';
import { DEFAULT_KERNEL_LOG_SETTINGS } from './settings.ts';

const T0 = Date.UTC(2024, 5, 3, 10, 0, 0);
const ctx = (over: Partial<IngestContext> = {}): IngestContext => ({
  now: T0,
  settings: DEFAULT_KERNEL_LOG_SETTINGS,
  ...over,
});
const at = (sec: number, text: string, extra: Partial<KernelLine> = {}): KernelLine => ({
  text,
  at: T0 + sec * 1000,
  format: 'dmesg-iso',
  ...extra,
});
const xid = (n: number, bus = '0000:3b:00') => `NVRM: Xid (PCI:${bus}): ${n}, pid=1, name=python3, x`;

describe('Xid bursts', () => {
  it('folds repeats of one code on one GPU within 3 minutes into one observation with a count', () => {
    const s = newKernelLogState();
    const first = ingestLine(s, at(0, xid(13)), ctx());
    expect(first).toHaveLength(1);
    expect(ingestLine(s, at(1, xid(13)), ctx())).toEqual([]);
    expect(ingestLine(s, at(170, xid(13)), ctx())).toEqual([]);
    const b = first[0] as KernelObservation;
    expect(b.count).toBe(3);
    expect(b.firstAt).toBe(T0);
    expect(b.lastAt).toBe(T0 + 170_000);
  });
  it('starts a new burst after the window, and keeps GPUs and codes apart', () => {
    const s = newKernelLogState();
    expect(ingestLine(s, at(0, xid(13)), ctx())).toHaveLength(1);
    expect(ingestLine(s, at(5, xid(13, '0000:5d:00')), ctx())).toHaveLength(1);
    expect(ingestLine(s, at(6, xid(43)), ctx())).toHaveLength(1);
    const later = ingestLine(s, at(181, xid(13)), ctx());
    expect(later).toHaveLength(1);
    expect(later[0]?.at).toBe(T0 + 181_000);
  });
  it('honours a configured burst window', () => {
    const s = newKernelLogState();
    const c = ctx({ settings: { ...DEFAULT_KERNEL_LOG_SETTINGS, burstWindowSec: 10 } });
    ingestLine(s, at(0, xid(13)), c);
    expect(ingestLine(s, at(11, xid(13)), c)).toHaveLength(1);
  });
  it('counts a "fallen off the bus" line in the Xid 79 burst of the same GPU', () => {
    const s = newKernelLogState();
    const [b] = ingestLine(s, at(0, xid(79)), ctx());
    expect(ingestLine(s, at(0, 'NVRM: GPU 0000:3b:00.0: GPU has fallen off the bus.'), ctx())).toEqual([]);
    expect((b as KernelObservation).count).toBe(2);
    const other = ingestLine(s, at(1, 'NVRM: GPU 0000:5d:00.0: GPU has fallen off the bus.'), ctx());
    expect(other.map((o) => o.code)).toEqual(['gpu.fallen_off_bus']);
  });
  it('applies Xid overrides from settings', () => {
    const s = newKernelLogState();
    const c = ctx({ settings: { ...DEFAULT_KERNEL_LOG_SETTINGS, xidOverrides: { '43': { severity: 'degraded' } } } });
    expect(ingestLine(s, at(0, xid(43)), c)[0]?.severity).toBe('degraded');
  });
});

describe('dedupe', () => {
  it('reports one OOM kill for the oom-kill line and the Killed process line of one pid', () => {
    const s = newKernelLogState();
    const a = ingestLine(s, at(0, 'oom-kill:constraint=CONSTRAINT_NONE,task=python3,pid=42,uid=0'), ctx());
    const b = ingestLine(s, at(0, 'Out of memory: Killed process 42 (python3) total-vm:1kB'), ctx());
    expect(a).toHaveLength(1);
    expect(b).toEqual([]);
    expect((a[0] as KernelObservation).count).toBe(1);
  });
});

describe('flap detection', () => {
  const down = (sec: number, iface = 'ibp26s0') => at(sec, `mlx5_core 0000:1a:00.0 ${iface}: Link down`);
  const up = (sec: number, iface = 'ibp26s0') => at(sec, `mlx5_core 0000:1a:00.0 ${iface}: Link up`);

  it('raises ib.link.flap once on the Nth transition within the window', () => {
    const s = newKernelLogState();
    const out = [down(0), up(10), down(20), up(30), down(40), up(50)].flatMap((l) => ingestLine(s, l, ctx()));
    const flaps = out.filter((o) => o.code === 'ib.link.flap');
    expect(flaps).toHaveLength(1);
    expect(flaps[0]).toMatchObject({ component: 'ib:ibp26s0', kind: 'condition', severity: 'degraded', at: T0 });
    expect(out.filter((o) => o.code === 'ib.link.down')).toHaveLength(1);
  });
  it('does not flap on transitions spread wider than the window', () => {
    const s = newKernelLogState();
    const out = [down(0), up(700), down(1400), up(2100)].flatMap((l) => ingestLine(s, l, ctx()));
    expect(out.some((o) => o.code === 'ib.link.flap')).toBe(false);
  });
  it('keeps interfaces apart', () => {
    const s = newKernelLogState();
    const out = [down(0, 'a'), up(1, 'b'), down(2, 'c'), up(3, 'd')].flatMap((l) => ingestLine(s, l, ctx()));
    expect(out.some((o) => o.code === 'ib.link.flap')).toBe(false);
  });
  it('the flap stays open while transitions continue and closes after a quiet window', () => {
    const s = newKernelLogState();
    for (const l of [down(0), up(1), down(2), up(3)]) ingestLine(s, l, ctx());
    expect(openConditions(s, T0 + 300_000, DEFAULT_KERNEL_LOG_SETTINGS).map((o) => o.code)).toEqual(['ib.link.flap']);
    expect(openConditions(s, T0 + 3_000 + 601_000, DEFAULT_KERNEL_LOG_SETTINGS)).toEqual([]);
    // after closing, a fresh flap can be raised again
    const again = [down(700), up(701), down(702), up(703)].flatMap((l) => ingestLine(s, l, ctx()));
    expect(again.some((o) => o.code === 'ib.link.flap')).toBe(true);
  });
});

describe('boot awareness and time', () => {
  it('a new boot id forgets open bursts and link history', () => {
    const s = newKernelLogState();
    expect(ingestLine(s, at(0, xid(13), { bootId: 'A' }), ctx())).toHaveLength(1);
    expect(ingestLine(s, at(1, xid(13), { bootId: 'A' }), ctx())).toEqual([]);
    expect(ingestLine(s, at(2, xid(13), { bootId: 'B' }), ctx())).toHaveLength(1);
    expect(s.bootId).toBe('B');
  });
  it('turns monotonic stamps into time with the boot time, else uses now', () => {
    const l: KernelLine = { text: 'x', monotonicUs: 5_000_000, format: 'kmsg' };
    expect(lineTime(l, { now: 99, bootTimeMs: 1000 })).toBe(6000);
    expect(lineTime(l, { now: 99 })).toBe(99);
  });
  it('analyzeLines notes the burst size in the message', () => {
    const out = analyzeLines([at(0, xid(94)), at(1, xid(94)), at(2, xid(94))], ctx());
    expect(out).toHaveLength(1);
    expect(out[0]?.message).toContain('(3 lines in burst)');
  });
});
