/** Tests of the rdma analyzers on our own fixtures: each recognises its kind and reports what the capture shows. */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { h100Node, withPort, writeSysfs } from '../../test/fixtures/rdma/sysfs-gen.ts';
import type { DirAnalyzer, TextAnalyzer } from '../analyzer.ts';
import { rdmaAnalyzers } from './analyzers.ts';

const FIX = resolve(import.meta.dirname, '../../test/fixtures/rdma');
const fx = (name: string) => readFileSync(resolve(FIX, name), 'utf8');
const T0 = 1_700_000_000_000;
const text = rdmaAnalyzers.filter((a): a is TextAnalyzer => a.input === 'text');
const dirA = rdmaAnalyzers.find((a): a is DirAnalyzer => a.input === 'dir');

function kindsFor(t: string): string[] {
  return text.filter((a) => a.sniff(t.slice(0, 65536))).map((a) => a.kind);
}
function analyze(kind: string, t: string) {
  const a = text.find((x) => x.kind === kind);
  if (!a) throw new Error(kind);
  return a.analyze(t, T0).map((o) => `${o.code} ${o.component} ${o.severity}`);
}

describe('sniffing', () => {
  it.each([
    ['ibstat-h100-8x-ndr-healthy.txt', 'ibstat'],
    ['ibstat-h100-ibpanic-mlx5_2.txt', 'ibstat'],
    ['ibstatus-h100-8x-ndr-healthy.txt', 'ibstatus'],
    ['perfquery-x-h100-hca-symbol-errors.txt', 'perfquery'],
    ['ibv_devinfo-v-h100-mlx5_1-polling.txt', 'ibv_devinfo'],
    ['sysfs-h100-mlx5_1-polling.ttar', 'sysfs-infiniband-ttar'],
  ])('%s is recognised as %s only', (file, kind) => {
    expect(kindsFor(fx(file))).toEqual([kind]);
  });
  it('recognises lone sysfs values and nothing else as ib-sysfs-value', () => {
    expect(kindsFor('0: <unknown>\n')).toEqual(['ib-sysfs-value']);
    expect(kindsFor('400 Gb/sec (4X NDR)\n')).toEqual(['ib-sysfs-value']);
    expect(kindsFor('NIC statistics:\n     rx_packets: 1\n')).toEqual([]);
  });
  it('has unique kinds', () => {
    const kinds = rdmaAnalyzers.map((a) => a.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
  });
});

describe('text analyzers', () => {
  it('ibstat: healthy is empty, faulty names the port, ibpanic is reported', () => {
    expect(analyze('ibstat', fx('ibstat-h100-8x-ndr-healthy.txt'))).toEqual([]);
    expect(analyze('ibstat', fx('ibstat-h100-mlx5_3-polling.txt'))).toEqual(['ib.port.down ib:mlx5_3/1 degraded']);
    expect(analyze('ibstat', fx('ibstat-h100-mlx5_6-hdr-downtrained.txt'))).toEqual([
      'ib.port.rate ib:mlx5_6/1 degraded',
    ]);
    expect(analyze('ibstat', fx('ibstat-h100-ibpanic-mlx5_2.txt'))).toEqual(['ib.ibstat.panic ib:mlx5_2 warn']);
  });
  it('ibstatus: INIT (no subnet manager) and Disabled ports are down', () => {
    expect(analyze('ibstatus', fx('ibstatus-h100-8x-ndr-healthy.txt'))).toEqual([]);
    expect(analyze('ibstatus', fx('ibstatus-h100-init-and-disabled.txt'))).toEqual([
      'ib.port.down ib:mlx5_2/1 degraded',
      'ib.port.down ib:mlx5_5/1 degraded',
    ]);
  });
  it('perfquery: absolute counters, warn at most', () => {
    expect(analyze('perfquery', fx('perfquery-x-h100-hca-symbol-errors.txt'))).toEqual([
      'ib.counter.symbol_error ib:lid211/1 warn',
      'ib.counter.link_error_recovery ib:lid211/1 info',
      'ib.counter.link_downed ib:lid211/1 info',
      'ib.counter.port_rcv_errors ib:lid211/1 warn',
      'ib.counter.local_link_integrity_errors.saturated ib:lid211/1 warn',
    ]);
  });
  it('ibv_devinfo: a polling port among up siblings is down', () => {
    expect(analyze('ibv_devinfo', fx('ibv_devinfo-v-h100-mlx5_1-polling.txt'))).toEqual([
      'ib.port.down ib:mlx5_1/1 degraded',
    ]);
  });
  it('ttar: the same sysfs logic as a live tree', () => {
    expect(analyze('sysfs-infiniband-ttar', fx('sysfs-h100-mlx5_1-polling.ttar'))).toEqual([
      'ib.port.down ib:mlx5_1/1 degraded',
      'ib.counter.link_downed ib:mlx5_1/1 info',
    ]);
  });
  it('ibnetdiscover: parses, reports nothing node-level', () => {
    expect(
      analyze('ibnetdiscover', "CA   211  1 0xb83fd20300a10040 4x NDR - SW   3 17 0xfc6a1c0300e7b1a0 ( 'a' - 'b' )\n"),
    ).toEqual([]);
  });
  it('throws only KeelsonError on text of the wrong kind', () => {
    for (const a of text) {
      try {
        a.analyze('complete garbage\n', T0);
      } catch (e) {
        expect((e as Error).name).toBe('KeelsonError');
      }
    }
  });
});

describe('sysfs-infiniband directory analyzer', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'keelson-rdma-an-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('takes a class/infiniband copy (device dirs at the top) or a tree above it', async () => {
    const base = await writeSysfs(
      join(root, 'sys'),
      withPort(h100Node(), 'mlx5_7', (p) => Object.assign(p, { rate: '200 Gb/sec (4X HDR)' })),
    );
    if (!dirA) throw new Error('no dir analyzer');
    for (const dir of [base, root, join(root, 'sys')]) {
      expect(await dirA.sniffDir(dir)).toBe(true);
      const obs = await dirA.analyzeDir(dir, T0);
      expect(obs.map((o) => `${o.code} ${o.component} ${o.severity}`)).toEqual(['ib.port.rate ib:mlx5_7/1 degraded']);
    }
  });

  it('takes a single port directory', async () => {
    const base = await writeSysfs(
      join(root, 'sys'),
      withPort(h100Node(), 'mlx5_3', (p) => Object.assign(p, { state: '1: DOWN', physState: '3: Disabled' })),
    );
    if (!dirA) throw new Error('no dir analyzer');
    const portDir = join(base, 'mlx5_3', 'ports', '1');
    expect(await dirA.sniffDir(portDir)).toBe(true);
    const obs = await dirA.analyzeDir(portDir, T0);
    // One port, no siblings, no expectation, never seen up, Disabled (as an unused port is):
    // not enough evidence to call it failed.
    expect(obs.map((o) => `${o.code} ${o.component} ${o.severity}`)).toEqual(['ib.port.down ib:mlx5_3/1 info']);
  });

  it('does not claim an unrelated directory', async () => {
    if (!dirA) throw new Error('no dir analyzer');
    expect(await dirA.sniffDir(root)).toBe(false);
  });
});
