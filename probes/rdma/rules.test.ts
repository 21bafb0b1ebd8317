/** Tests of the rdma rules: expected set, sticky down, flap, peer evidence, counters, pause storms. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../core/finding.ts';
import { rdmaCatalog } from './catalog.ts';
import { emptyPort, type IbPortRecord, parseEthtoolStats, parseIbstat } from './parse.ts';
import { judgeRdma, judgeSysfsValue, type RdmaState } from './rules.ts';
import {
  DEFAULT_RDMA_SETTINGS,
  expectation,
  GPU_SKU_FABRIC,
  type RdmaSettings,
  resolveRdmaSettings,
} from './settings.ts';

const FIX = resolve(import.meta.dirname, '../../test/fixtures/rdma');
const fx = (name: string) => readFileSync(resolve(FIX, name), 'utf8');
const H100: RdmaSettings = { ...DEFAULT_RDMA_SETTINGS, gpuSku: 'H100' };
const NONE: RdmaSettings = { ...DEFAULT_RDMA_SETTINGS };
const T0 = 1_700_000_000_000;
const seenCodes = new Set<string>();

function judge(records: IbPortRecord[], prev: RdmaState | undefined, now: number, s: RdmaSettings, boot?: string) {
  const j = judgeRdma(records, prev, now, s, boot);
  for (const o of j.observations) seenCodes.add(o.code);
  return j;
}

function port(device: string, o: Partial<IbPortRecord> = {}): IbPortRecord {
  return {
    ...emptyPort(device, 1),
    state: 'ACTIVE',
    physState: 'LinkUp',
    rateGbps: 400,
    linkLayer: 'InfiniBand',
    hcaType: 'MT4129',
    ...o,
  };
}

function h100(mod: (ports: IbPortRecord[]) => void = () => {}): IbPortRecord[] {
  const ports = Array.from({ length: 8 }, (_, i) =>
    port(`mlx5_${i}`, { counters: { symbol_error: 0, link_downed: 0 } }),
  );
  mod(ports);
  return ports;
}

const down = (p: IbPortRecord) => Object.assign(p, { state: 'DOWN', physState: 'Polling', rateGbps: 10 });
const find = (obs: Observation[], code: string, comp?: string) =>
  obs.filter((o) => o.code === code && (comp === undefined || o.component === comp));
const worst = (obs: Observation[]) => obs.filter((o) => o.severity === 'degraded' || o.severity === 'fatal');

describe('expectations', () => {
  it('has an 8 × 400 row for H100/H200 and 8 × 200 for A100', () => {
    expect(GPU_SKU_FABRIC.H100).toEqual({ ports: 8, rateGbps: 400 });
    expect(GPU_SKU_FABRIC.H200).toEqual({ ports: 8, rateGbps: 400 });
    expect(GPU_SKU_FABRIC.A100).toEqual({ ports: 8, rateGbps: 200 });
    expect(expectation({ ...NONE, gpuSku: 'h100' })).toEqual({ ports: 8, rateGbps: 400 });
    expect(expectation({ ...NONE, gpuSku: 'H100', expectedPorts: 4 })).toEqual({ ports: 4, rateGbps: 400 });
    expect(expectation(NONE)).toBeUndefined();
  });
  it('validates settings and names the bad key', () => {
    expect(resolveRdmaSettings({ gpuSku: 'A100' }).gpuSku).toBe('A100');
    expect(() => resolveRdmaSettings({ expectedPorts: -1 })).toThrow(/expectedPorts/);
    expect(() => resolveRdmaSettings({ bogus: 1 })).toThrow(/CONFIG|bogus|Unrecognized/i);
  });
});

describe('healthy nodes', () => {
  it('finds nothing on a healthy H100 ibstat, with or without the SKU', () => {
    const { ports } = parseIbstat(fx('ibstat-h100-8x-ndr-healthy.txt'));
    expect(judge(ports, undefined, T0, H100).observations).toEqual([]);
    expect(judge(ports, undefined, T0, NONE).observations).toEqual([]);
  });
});

describe('ib.port.down', () => {
  it('calls an expected fabric port that is down degraded', () => {
    const { ports } = parseIbstat(fx('ibstat-h100-mlx5_3-polling.txt'));
    const obs = judge(ports, undefined, T0, H100).observations;
    expect(obs.map((o) => `${o.code} ${o.component} ${o.severity}`)).toEqual(['ib.port.down ib:mlx5_3/1 degraded']);
    expect(obs[0]?.evidence).toContain('state=Down');
    expect(obs[0]?.action).toBe('inspect-hardware');
  });

  it('without an expectation, siblings of the same HCA type and link layer that are up are the evidence', () => {
    const { ports } = parseIbstat(fx('ibstat-h100-mlx5_3-polling.txt'));
    const obs = judge(ports, undefined, T0, NONE).observations;
    expect(find(obs, 'ib.port.down', 'ib:mlx5_3/1')[0]?.severity).toBe('degraded');
  });

  it('a port never seen healthy, outside the fabric and alone in its group, is only info', () => {
    const recs = [port('mlx5_0'), port('mlx5_1', { hcaType: 'MT4123', state: 'DOWN', physState: 'Polling' })];
    const obs = judge(recs, undefined, T0, NONE).observations;
    expect(find(obs, 'ib.port.down')[0]?.severity).toBe('info');
  });

  it('a lone port that is physically linked but not ACTIVE (INIT: no subnet manager) is warn', () => {
    const recs = [
      port('mlx5_0', { hcaType: 'MT4123', state: 'INIT', physState: 'LinkUp' }),
      port('mlx5_1', { hcaType: 'MT4129' }),
    ];
    expect(find(judge(recs, undefined, T0, NONE).observations, 'ib.port.down')[0]?.severity).toBe('warn');
  });

  it('an extra InfiniBand port with healthy siblings is warn when the expected fabric is complete', () => {
    const recs = h100((ps) => ps.push(down(port('mlx5_8'))));
    const obs = judge(recs, undefined, T0, H100).observations;
    expect(find(obs, 'ib.port.down', 'ib:mlx5_8/1')[0]?.severity).toBe('warn');
  });

  it('an Ethernet management port, unexpected and never up, is info; once seen up, going down is warn', () => {
    const mgmt = (up: boolean) =>
      port('mlx5_8', {
        hcaType: 'MT4125',
        linkLayer: 'Ethernet',
        rateGbps: up ? 100 : 40,
        state: up ? 'ACTIVE' : 'DOWN',
        physState: up ? 'LinkUp' : 'Disabled',
      });
    const first = judge(
      h100((ps) => ps.push(mgmt(false))),
      undefined,
      T0,
      H100,
    );
    expect(find(first.observations, 'ib.port.down')[0]?.severity).toBe('info');
    const up = judge(
      h100((ps) => ps.push(mgmt(true))),
      undefined,
      T0,
      H100,
    );
    const again = judge(
      h100((ps) => ps.push(mgmt(false))),
      up.state,
      T0 + 15_000,
      H100,
    );
    expect(find(again.observations, 'ib.port.down')[0]?.severity).toBe('warn');
  });

  it('an unexpected InfiniBand port that was up before is degraded when it goes down', () => {
    const extra = (d: boolean) =>
      d ? down(port('mlx5_8', { hcaType: 'MT4123' })) : port('mlx5_8', { hcaType: 'MT4123', rateGbps: 200 });
    const a = judge(
      h100((ps) => ps.push(extra(false))),
      undefined,
      T0,
      H100,
    );
    expect(worst(a.observations)).toEqual([]);
    const b = judge(
      h100((ps) => ps.push(extra(true))),
      a.state,
      T0 + 15_000,
      H100,
    );
    expect(find(b.observations, 'ib.port.down', 'ib:mlx5_8/1')[0]?.severity).toBe('degraded');
  });

  it('stays active for the hold window after the port comes back, then clears', () => {
    const s = { ...H100, downHoldMs: 60_000 };
    const a = judge(
      h100((ps) => down(ps[2]!)),
      undefined,
      T0,
      s,
    );
    expect(find(a.observations, 'ib.port.down', 'ib:mlx5_2/1')).toHaveLength(1);
    const b = judge(h100(), a.state, T0 + 15_000, s);
    const held = find(b.observations, 'ib.port.down', 'ib:mlx5_2/1');
    expect(held).toHaveLength(1);
    expect(held[0]?.severity).toBe('degraded');
    expect(held[0]?.message).toMatch(/held/);
    const c = judge(h100(), b.state, T0 + 30_000, s);
    expect(find(c.observations, 'ib.port.down')).toHaveLength(1);
    const d = judge(h100(), c.state, T0 + 61_000, s);
    expect(find(d.observations, 'ib.port.down')).toEqual([]);
  });

  it('forgets everything after a reboot (new boot id)', () => {
    const a = judge(
      h100((ps) => down(ps[2]!)),
      undefined,
      T0,
      H100,
      'boot-a',
    );
    const b = judge(h100(), a.state, T0 + 15_000, H100, 'boot-b');
    expect(b.observations).toEqual([]);
    expect(b.state.bootId).toBe('boot-b');
  });
});

describe('ib.port.rate', () => {
  it('flags a port below the expected rate', () => {
    const { ports } = parseIbstat(fx('ibstat-h100-mlx5_6-hdr-downtrained.txt'));
    const obs = judge(ports, undefined, T0, H100).observations;
    expect(obs.map((o) => `${o.code} ${o.component} ${o.severity}`)).toEqual(['ib.port.rate ib:mlx5_6/1 degraded']);
  });
  it('flags it by peer evidence when no expectation is configured', () => {
    const { ports } = parseIbstat(fx('ibstat-h100-mlx5_6-hdr-downtrained.txt'));
    const obs = judge(ports, undefined, T0, NONE).observations;
    expect(find(obs, 'ib.port.rate', 'ib:mlx5_6/1')[0]?.severity).toBe('degraded');
    expect(find(obs, 'ib.port.rate', 'ib:mlx5_6/1')[0]?.message).toMatch(/7 of its 7 sibling/);
    // the BlueField-3 Ethernet port at 200 has no same-type sibling: no peer evidence against it
    expect(find(obs, 'ib.port.rate', 'ib:mlx5_bond_0/1')).toEqual([]);
  });
  it('does not compare ports of different HCA types or link layers', () => {
    const recs = [port('mlx5_0'), port('mlx5_1', { hcaType: 'MT4125', rateGbps: 100, linkLayer: 'Ethernet' })];
    expect(judge(recs, undefined, T0, NONE).observations).toEqual([]);
  });
  it('a port that meets the expectation is not flagged against a faster sibling', () => {
    const recs = h100((ps) => Object.assign(ps[0]!, { rateGbps: 800 }));
    expect(judge(recs, undefined, T0, H100).observations).toEqual([]);
  });
});

describe('ib.port.missing', () => {
  it('reports a shortfall of expected ports on the host', () => {
    const recs = h100((ps) => ps.pop());
    const obs = judge(recs, undefined, T0, H100).observations;
    expect(obs.map((o) => `${o.code} ${o.component} ${o.severity}`)).toEqual(['ib.port.missing host degraded']);
  });
  it('reports a port seen healthy that vanished from sysfs, until reboot', () => {
    const a = judge(h100(), undefined, T0, NONE, 'b');
    const b = judge(
      h100((ps) => ps.pop()),
      a.state,
      T0 + 15_000,
      NONE,
      'b',
    );
    expect(find(b.observations, 'ib.port.missing', 'ib:mlx5_7/1')).toHaveLength(1);
    const c = judge(
      h100((ps) => ps.pop()),
      b.state,
      T0 + 30_000,
      NONE,
      'b',
    );
    expect(find(c.observations, 'ib.port.missing', 'ib:mlx5_7/1')[0]?.message).toContain(
      new Date(T0 + 15_000).toISOString(),
    );
    const d = judge(
      h100((ps) => ps.pop()),
      c.state,
      T0 + 45_000,
      NONE,
      'rebooted',
    );
    expect(find(d.observations, 'ib.port.missing')).toEqual([]);
  });
});

describe('expected set with a shortfall', () => {
  it('does not pull a slower management NIC into the fabric when a fabric HCA is missing', () => {
    const recs = h100((ps) => {
      ps.pop();
      ps.push(port('mlx5_8', { hcaType: 'MT4125', linkLayer: 'Ethernet', rateGbps: 100 }));
    });
    const obs = judge(recs, undefined, T0, H100).observations;
    expect(obs.map((o) => `${o.code} ${o.component} ${o.severity}`)).toEqual(['ib.port.missing host degraded']);
  });
  it('lets a port of unknown HCA type on the fabric link layer stand in, so its slowness is named', () => {
    const recs = h100((ps) => Object.assign(ps[7]!, { hcaType: undefined, rateGbps: 100 }));
    const obs = judge(recs, undefined, T0, H100).observations;
    expect(obs.map((o) => `${o.code} ${o.component} ${o.severity}`)).toEqual(['ib.port.rate ib:mlx5_7/1 degraded']);
  });
});

describe('ib.port.flap', () => {
  it('counts state transitions within the window', () => {
    const s = { ...H100, flapThreshold: 3, flapWindowMs: 120_000, downHoldMs: 0 };
    let state: RdmaState | undefined;
    let last: Observation[] = [];
    const seq = [false, true, false, true];
    seq.forEach((isDown, i) => {
      const j = judge(
        h100((ps) => {
          if (isDown) down(ps[4]!);
        }),
        state,
        T0 + i * 15_000,
        s,
      );
      state = j.state;
      last = j.observations;
      if (i < 3) expect(find(j.observations, 'ib.port.flap')).toEqual([]);
    });
    expect(find(last, 'ib.port.flap', 'ib:mlx5_4/1')[0]?.severity).toBe('degraded');
    // Long after, the events leave the window.
    const later = judge(h100(), state, T0 + 400_000, s);
    expect(find(later.observations, 'ib.port.flap')).toEqual([]);
  });

  it('counts link_downed increments even when every sample shows the port up', () => {
    const s = { ...H100, flapThreshold: 3 };
    const withDowned = (n: number) => h100((ps) => Object.assign(ps[1]!, { counters: { link_downed: n } }));
    const a = judge(withDowned(7), undefined, T0, s);
    const b = judge(withDowned(8), a.state, T0 + 60_000, s);
    expect(find(b.observations, 'ib.port.flap')).toEqual([]);
    const c = judge(withDowned(10), b.state, T0 + 120_000, s);
    expect(find(c.observations, 'ib.port.flap', 'ib:mlx5_1/1')).toHaveLength(1);
  });
});

describe('ib.counter.*', () => {
  const withSym = (n: number | undefined) => h100((ps) => Object.assign(ps[0]!, { counters: { symbol_error: n } }));

  it('judges a counter as a rate per minute', () => {
    const a = judge(withSym(100), undefined, T0, H100);
    expect(a.observations).toEqual([]);
    const b = judge(withSym(103), a.state, T0 + 60_000, H100);
    expect(b.observations).toEqual([]);
    const c = judge(withSym(123), b.state, T0 + 120_000, H100);
    expect(find(c.observations, 'ib.counter.symbol_error')[0]?.severity).toBe('warn');
    const d = judge(withSym(400), c.state, T0 + 180_000, H100);
    expect(find(d.observations, 'ib.counter.symbol_error')[0]).toMatchObject({
      severity: 'degraded',
      action: 'inspect-hardware',
      evidence: 'symbol_error: 123 -> 400',
    });
    expect(d.rates.find((r) => r.device === 'mlx5_0' && r.counter === 'symbol_error')?.perSec).toBeCloseTo(277 / 60);
  });

  it('survives a counter reset: no negative or huge delta, then rates resume from the new base', () => {
    const a = judge(withSym(60000), undefined, T0, H100);
    const b = judge(withSym(2), a.state, T0 + 15_000, H100);
    expect(b.observations).toEqual([]);
    expect(b.rates.filter((r) => r.counter === 'symbol_error' && r.device === 'mlx5_0')).toEqual([]);
    const c = judge(withSym(2), b.state, T0 + 30_000, H100);
    expect(c.rates.find((r) => r.counter === 'symbol_error' && r.device === 'mlx5_0')?.perSec).toBe(0);
    const d = judge(withSym(500), c.state, T0 + 45_000, H100);
    expect(find(d.observations, 'ib.counter.symbol_error')[0]?.severity).toBe('degraded');
  });

  it('an unreadable counter (N/A) is skipped, not read as zero', () => {
    const a = judge(withSym(100), undefined, T0, H100);
    const b = judge(withSym(undefined), a.state, T0 + 15_000, H100);
    const c = judge(withSym(100), b.state, T0 + 30_000, H100);
    expect(c.observations).toEqual([]);
    expect(b.state.ports['mlx5_0/1']?.counters.symbol_error).toBeUndefined();
  });

  it('flags a saturated 8-bit counter as saturated, not as a rate, and never fatal', () => {
    const sat = h100((ps) => Object.assign(ps[1]!, { counters: { link_downed: 255 } }));
    const a = judge(sat, undefined, T0, H100);
    const b = judge(sat, a.state, T0 + 15_000, H100);
    for (const j of [a, b]) {
      expect(j.observations.map((o) => `${o.code} ${o.component} ${o.severity}`)).toEqual([
        'ib.counter.link_downed.saturated ib:mlx5_1/1 warn',
      ]);
    }
  });

  it('judges hw_counters too', () => {
    const rnr = (n: number) => h100((ps) => Object.assign(ps[3]!, { hwCounters: { rnr_nak_retry_err: n } }));
    const a = judge(rnr(0), undefined, T0, H100);
    const b = judge(rnr(40), a.state, T0 + 60_000, H100);
    expect(find(b.observations, 'ib.counter.rnr_nak_retry_err', 'ib:mlx5_3/1')[0]).toMatchObject({
      severity: 'degraded',
      action: 'none',
    });
  });

  it('in single-snapshot mode judges absolute values, warn at most', () => {
    const s = { ...NONE, singleSnapshot: true };
    const recs = h100((ps) => {
      Object.assign(ps[0]!, { counters: { symbol_error: 5, port_xmit_discards: 50_000 } });
    });
    const obs = judge(recs, undefined, T0, s).observations;
    expect(find(obs, 'ib.counter.symbol_error')[0]?.severity).toBe('info');
    expect(find(obs, 'ib.counter.port_xmit_discards')[0]?.severity).toBe('warn');
    expect(worst(obs)).toEqual([]);
  });

  it('lets settings override a threshold', () => {
    const s = { ...H100, counterThresholds: { symbol_error: { warnPerMin: 1000, degradedPerMin: 5000 } } };
    const a = judge(withSym(0), undefined, T0, s);
    const b = judge(withSym(500), a.state, T0 + 60_000, s);
    expect(b.observations).toEqual([]);
  });
});

describe('ib.roce.pfc', () => {
  const roce = (stats: string) => [
    port('mlx5_0', { linkLayer: 'Ethernet', netdev: 'ens1np0', ethtool: parseEthtoolStats(fx(stats)) }),
  ];
  it('calls a pause storm (storm error events, paused 80% of the time) degraded', () => {
    const a = judge(roce('ethtool-S-mlx5-roce-t0.txt'), undefined, T0, NONE);
    expect(a.observations).toEqual([]);
    const b = judge(roce('ethtool-S-mlx5-roce-t15-storm.txt'), a.state, T0 + 15_000, NONE);
    const pfc = find(b.observations, 'ib.roce.pfc', 'ib:mlx5_0/1');
    expect(pfc[0]?.severity).toBe('degraded');
    expect(pfc[0]?.message).toMatch(/tx_pause_storm_error_events \+1/);
    expect(pfc[0]?.message).toMatch(/paused 83% of the time/);
  });
  it('leaves ordinary pause traffic alone', () => {
    const a = judge(roce('ethtool-S-mlx5-roce-t0.txt'), undefined, T0, NONE);
    const b = judge(roce('ethtool-S-mlx5-roce-t15-calm.txt'), a.state, T0 + 15_000, NONE);
    expect(b.observations).toEqual([]);
  });
});

describe('judgeSysfsValue', () => {
  it('judges lone state / phys_state / rate values', () => {
    expect(judgeSysfsValue('4: ACTIVE\n')).toEqual([]);
    expect(judgeSysfsValue('5: LinkUp\n')).toEqual([]);
    expect(judgeSysfsValue('400 Gb/sec (4X NDR)\n')).toEqual([]);
    expect(judgeSysfsValue('0: <unknown>\n').map((o) => `${o.code} ${o.severity}`)).toEqual(['ib.port.down warn']);
    expect(judgeSysfsValue('1: DOWN\n').map((o) => `${o.code} ${o.severity}`)).toEqual(['ib.port.down info']);
    expect(judgeSysfsValue('3: Disabled\n').map((o) => `${o.code} ${o.severity}`)).toEqual(['ib.port.down info']);
    expect(judgeSysfsValue('2: INIT\n').map((o) => `${o.code} ${o.severity}`)).toEqual(['ib.port.down warn']);
    expect(judgeSysfsValue('5 Gb/sec (1X DDR)\n').map((o) => `${o.code} ${o.severity}`)).toEqual(['ib.port.rate warn']);
    expect(() => judgeSysfsValue('banana')).toThrow(/not a sysfs/);
  });
});

describe('catalog', () => {
  it('lists every code the rules emitted in these tests, once each', () => {
    const codes = rdmaCatalog.map((c) => c.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of seenCodes) expect(codes).toContain(c);
    expect(seenCodes.size).toBeGreaterThan(5);
  });
});
