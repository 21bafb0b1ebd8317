/** Tests of the rdma text parsers against our own real-format fixtures. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import {
  isPortDown,
  isPortUp,
  normalisePhysState,
  normaliseState,
  parseCounterValue,
  parseEthtoolStats,
  parseIbstat,
  parseIbstatus,
  parseSysfsPhysState,
  parseSysfsRate,
  parseSysfsState,
} from './parse.ts';
import { parseIbnetdiscoverPorts, parseIbvDevinfo, parsePerfquery } from './parse-diag.ts';
import { infinibandTree } from './sysfs.ts';
import { listTree } from './tree.ts';
import { looksLikeTtar, parseTtar } from './ttar.ts';

const FIX = resolve(import.meta.dirname, '../../test/fixtures/rdma');
const fx = (name: string) => readFileSync(resolve(FIX, name), 'utf8');

function expectParseFailed(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(isKeelsonError(e, 'PARSE_FAILED')).toBe(true);
    return;
  }
  throw new Error('expected PARSE_FAILED');
}

describe('sysfs values', () => {
  it('reads state and phys_state in the kernel format', () => {
    expect(parseSysfsState('4: ACTIVE\n')).toBe('ACTIVE');
    expect(parseSysfsState('1: DOWN\n')).toBe('DOWN');
    expect(parseSysfsState('2: INIT')).toBe('INIT');
    expect(parseSysfsPhysState('5: LinkUp\n')).toBe('LinkUp');
    expect(parseSysfsPhysState('3: Disabled\n')).toBe('Disabled');
    expect(parseSysfsPhysState('0: <unknown>\n')).toBe('<unknown>');
    expect(parseSysfsState('ACTIVE')).toBeUndefined();
    expect(parseSysfsPhysState('')).toBeUndefined();
  });

  it('normalises every tool spelling to one name', () => {
    expect(normaliseState('Active')).toBe('ACTIVE');
    expect(normaliseState('PORT_ACTIVE (4)')).toBe('ACTIVE');
    expect(normaliseState('PORT_DOWN (1)')).toBe('DOWN');
    expect(normaliseState('Initializing')).toBe('INIT');
    expect(normalisePhysState('LINK_UP (5)')).toBe('LinkUp');
    expect(normalisePhysState('POLLING (2)')).toBe('Polling');
    expect(normalisePhysState('LinkUp')).toBe('LinkUp');
    expect(normalisePhysState('Disabled')).toBe('Disabled');
  });

  it('parses rates with and without speed names', () => {
    expect(parseSysfsRate('400 Gb/sec (4X NDR)\n')).toEqual({ gbps: 400, width: 4, speedName: 'NDR' });
    expect(parseSysfsRate('200 Gb/sec (2X NDR)')).toEqual({ gbps: 200, width: 2, speedName: 'NDR' });
    expect(parseSysfsRate('5 Gb/sec (1X DDR)')).toEqual({ gbps: 5, width: 1, speedName: 'DDR' });
    expect(parseSysfsRate('2.5 Gb/sec (1X SDR)')).toEqual({ gbps: 2.5, width: 1, speedName: 'SDR' });
    expect(parseSysfsRate('10 Gb/sec (4X)')).toEqual({ gbps: 10, width: 4 });
    expect(parseSysfsRate('Invalid argument')).toBeUndefined();
  });

  it('reads counters; N/A (no PMA) and garbage are undefined, never zero', () => {
    expect(parseCounterValue('255\n')).toBe(255);
    expect(parseCounterValue('0')).toBe(0);
    expect(parseCounterValue('N/A (no PMA)\n')).toBeUndefined();
    expect(parseCounterValue('')).toBeUndefined();
    expect(parseCounterValue('-1')).toBeUndefined();
  });

  it('calls a port up only when ACTIVE and LinkUp, down when either says otherwise', () => {
    expect(isPortUp({ state: 'ACTIVE', physState: 'LinkUp' })).toBe(true);
    expect(isPortUp({ state: 'ACTIVE', physState: '<unknown>' })).toBe(false);
    expect(isPortDown({ state: 'ACTIVE', physState: '<unknown>' })).toBe(true);
    expect(isPortDown({ state: 'INIT', physState: 'LinkUp' })).toBe(true);
    expect(isPortDown({ state: undefined, physState: undefined })).toBe(false);
    expect(isPortUp({ state: undefined, physState: undefined })).toBe(false);
  });
});

describe('ibstat', () => {
  it('parses a healthy H100 node: 8 NDR InfiniBand ports and a BlueField-3 Ethernet port', () => {
    const r = parseIbstat(fx('ibstat-h100-8x-ndr-healthy.txt'));
    expect(r.panic).toBeUndefined();
    expect(r.ports).toHaveLength(9);
    const p0 = r.ports[0];
    expect(p0).toMatchObject({
      device: 'mlx5_0',
      port: 1,
      state: 'ACTIVE',
      physState: 'LinkUp',
      rateGbps: 400,
      linkLayer: 'InfiniBand',
      hcaType: 'MT4129',
      fwVer: '28.39.2048',
    });
    expect(r.ports[8]).toMatchObject({
      device: 'mlx5_bond_0',
      hcaType: 'MT41692',
      linkLayer: 'Ethernet',
      rateGbps: 200,
    });
  });

  it('parses a port stuck in Polling', () => {
    const r = parseIbstat(fx('ibstat-h100-mlx5_3-polling.txt'));
    const p3 = r.ports.find((p) => p.device === 'mlx5_3');
    expect(p3).toMatchObject({ state: 'DOWN', physState: 'Polling', rateGbps: 10 });
    expect(p3?.raw).toMatchObject({ state: 'Down', physState: 'Polling', rate: '10' });
  });

  it('keeps the ports before an ibpanic and names the device it failed on', () => {
    const r = parseIbstat(fx('ibstat-h100-ibpanic-mlx5_2.txt'));
    expect(r.ports.map((p) => p.device)).toEqual(['mlx5_0', 'mlx5_1']);
    expect(r.panic?.device).toBe('mlx5_2');
    expect(r.panic?.line).toMatch(/^ibpanic: /);
  });

  it('refuses output with no CA (ibstat prints nothing without devices: never healthy)', () => {
    expectParseFailed(() => parseIbstat(''));
    expectParseFailed(() => parseIbstat('hello\nworld\n'));
  });
});

describe('ibstatus', () => {
  it('parses ports with state, phys state, rate and link layer', () => {
    const ports = parseIbstatus(fx('ibstatus-h100-init-and-disabled.txt'));
    expect(ports).toHaveLength(8);
    expect(ports[0]).toMatchObject({ device: 'mlx5_0', state: 'ACTIVE', physState: 'LinkUp', rateGbps: 400, width: 4 });
    expect(ports[2]).toMatchObject({ device: 'mlx5_2', state: 'INIT', physState: 'LinkUp' });
    expect(ports[5]).toMatchObject({ device: 'mlx5_5', state: 'DOWN', physState: 'Disabled', rateGbps: 40 });
  });
  it('refuses text without a port block', () => expectParseFailed(() => parseIbstatus('state: 4: ACTIVE')));
});

describe('ethtool -S', () => {
  it('reads mlx5 pause counters', () => {
    const s = parseEthtoolStats(fx('ethtool-S-mlx5-roce-t15-storm.txt'));
    expect(s.tx_pause_storm_error_events).toBe(1);
    expect(s.tx_pause_storm_warning_events).toBe(2);
    expect(s.rx_prio3_pause_duration).toBe(12691003);
    expect(s.rx_prio0_pause).toBe(0);
  });
  it('refuses text with no statistics', () => expectParseFailed(() => parseEthtoolStats('no stats available\n')));
});

describe('perfquery', () => {
  it('maps attribute names onto sysfs counter names', () => {
    const [b] = parsePerfquery(fx('perfquery-x-h100-hca-symbol-errors.txt'));
    expect(b).toMatchObject({ lid: 211, port: 1, title: 'Port extended counters' });
    expect(b?.counters).toMatchObject({
      symbol_error: 4711,
      link_error_recovery: 3,
      link_downed: 2,
      port_rcv_errors: 1532,
      local_link_integrity_errors: 15,
      port_xmit_data: 71219920318811,
      qp1_dropped: 0,
    });
    expect(b?.counters).not.toHaveProperty('port_select');
  });
  it('refuses text with no block header', () => expectParseFailed(() => parsePerfquery('PortXmitDiscards:....1\n')));
});

describe('ibnetdiscover -p', () => {
  it('parses linked and unlinked ports', () => {
    const text = [
      "CA   211  1 0xb83fd20300a10040 4x NDR - SW   3 17 0xfc6a1c0300e7b1a0 ( 'gpu001 mlx5_0' - 'leaf-01' )",
      "SW     3 18 0xfc6a1c0300e7b1a0 4x ???                                    'leaf-01'",
    ].join('\n');
    const ports = parseIbnetdiscoverPorts(text);
    expect(ports[0]).toMatchObject({
      type: 'CA',
      lid: 211,
      port: 1,
      width: 4,
      speed: 'NDR',
      peer: { type: 'SW', lid: 3, port: 17 },
    });
    expect(ports[1]).toMatchObject({ type: 'SW', port: 18, speed: undefined });
    expect(ports[1]?.peer).toBeUndefined();
  });
});

describe('ibv_devinfo -v', () => {
  it('computes rate as width × lane speed and normalises states', () => {
    const ports = parseIbvDevinfo(fx('ibv_devinfo-v-h100-mlx5_1-polling.txt'));
    expect(ports).toHaveLength(3);
    expect(ports[0]).toMatchObject({
      device: 'mlx5_0',
      state: 'ACTIVE',
      physState: 'LinkUp',
      rateGbps: 400,
      hcaType: 'MT4129',
    });
    expect(ports[1]).toMatchObject({ device: 'mlx5_1', state: 'DOWN', physState: 'Polling', rateGbps: 10 });
  });
});

describe('ttar', () => {
  it('rebuilds the tree, honouring NOBREAK, symlinks and N/A counters', () => {
    const text = fx('sysfs-h100-mlx5_1-polling.ttar');
    expect(looksLikeTtar(text)).toBe(true);
    const full = parseTtar(text);
    expect(full.files.get('sys/class/net/ib1/device')).toMatch(/^-> /);
    const ib = infinibandTree(full);
    expect(listTree(ib, '')).toEqual(['mlx5_0', 'mlx5_1', 'mlx5_2']);
    expect(ib.files.get('mlx5_2/hca_type')).toBe('MT4129');
    expect(ib.files.get('mlx5_0/hca_type')).toBe('MT4129\n');
    expect(ib.files.get('mlx5_1/ports/1/state')).toBe('1: DOWN\n');
  });
  it('refuses a Path with no Lines header, and text with no entries', () => {
    expectParseFailed(() => parseTtar('Path: a/b\nfoo\n'));
    expectParseFailed(() => parseTtar('just text'));
    expectParseFailed(() => parseTtar('Path: a/b\nLines: 5\nx\n'));
  });
});
