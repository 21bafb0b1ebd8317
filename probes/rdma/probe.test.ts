/** Tests of the rdma probe end to end over generated sysfs trees and a fake command runner. */

import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { KeelsonError } from '../../core/errors.ts';
import { type GenDevice, h100Node, healthyCounters, withPort, writeSysfs } from '../../test/fixtures/rdma/sysfs-gen.ts';
import type { CommandRunner } from '../runner.ts';
import type { ProbeContext } from '../types.ts';
import { rdmaProbe } from './probe.ts';
import { readInfinibandDir } from './read.ts';
import type { RdmaState } from './rules.ts';
import { recordsFromTree } from './sysfs.ts';

const FIX = resolve(import.meta.dirname, '../../test/fixtures/rdma');
const T0 = 1_700_000_000_000;
let root: string;
let calls: string[][];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'keelson-rdma-'));
  calls = [];
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function runner(serve: (args: readonly string[]) => string | Error): CommandRunner {
  return {
    async run(cmd, args) {
      calls.push([cmd, ...args]);
      const r = serve(args);
      if (r instanceof Error) throw r;
      return { stdout: r, stderr: '', exitCode: 0 };
    },
  };
}

const missingEthtool = runner(() => new KeelsonError('CMD_MISSING', 'ethtool is not installed'));

function ctx(
  clock: ManualClock,
  r: CommandRunner,
  settings: Record<string, unknown> = { gpuSku: 'H100' },
): ProbeContext {
  return {
    runner: r,
    roots: { sys: join(root, 'sys'), proc: join(root, 'proc'), dev: join(root, 'dev') },
    clock,
    signal: new AbortController().signal,
    settings,
  };
}

async function bootId(id: string) {
  const dir = join(root, 'proc', 'sys', 'kernel', 'random');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'boot_id'), `${id}\n`);
}

async function run(
  devs: GenDevice[],
  clock: ManualClock,
  prev: RdmaState | undefined,
  r = missingEthtool,
  settings?: Record<string, unknown>,
) {
  await writeSysfs(join(root, 'sys'), devs);
  return rdmaProbe.run(ctx(clock, r, settings), prev);
}

describe('rdmaProbe', () => {
  it('declares its defaults', () => {
    expect(rdmaProbe.name).toBe('rdma');
    expect(rdmaProbe.defaults).toEqual({ intervalSec: 15, timeoutMs: 5_000, outputCapBytes: 1024 * 1024 });
  });

  it('is unsupported, with a reason, without /sys/class/infiniband or with no device in it', async () => {
    const c = ctx(new ManualClock(T0), missingEthtool);
    const a = await rdmaProbe.isSupported(c);
    expect(a.supported).toBe(false);
    if (!a.supported) expect(a.reason).toMatch(/class\/infiniband/);
    await writeSysfs(join(root, 'sys'), []);
    expect((await rdmaProbe.isSupported(c)).supported).toBe(false);
    await writeSysfs(join(root, 'sys'), h100Node());
    expect(await rdmaProbe.isSupported(c)).toEqual({ supported: true });
  });

  it('reports nothing on a healthy H100 tree, with metrics and facts', async () => {
    const clock = new ManualClock(T0);
    const r = await run(h100Node(), clock, undefined);
    expect(r.observations).toEqual([]);
    const up = r.metrics.filter((m) => m.name === 'ib_port_up');
    expect(up).toHaveLength(8);
    expect(up.every((m) => m.value === 1)).toBe(true);
    expect(r.metrics.find((m) => m.name === 'ib_port_rate_gbps' && m.labels?.device === 'mlx5_7')?.value).toBe(400);
    expect(r.facts?.['rdma.mlx5_0.fw_ver']).toBe('28.39.2048');
    expect(r.facts?.['rdma.mlx5_0.hca_type']).toBe('MT4129');
    // InfiniBand ports need no ethtool
    expect(calls).toEqual([]);
  });

  it('reports a port that is down', async () => {
    const devs = withPort(h100Node(), 'mlx5_5', (p) => {
      p.state = '1: DOWN';
      p.physState = '2: Polling';
      p.rate = '10 Gb/sec (4X SDR)';
    });
    const r = await run(devs, new ManualClock(T0), undefined);
    expect(r.observations.map((o) => `${o.code} ${o.component} ${o.severity}`)).toEqual([
      'ib.port.down ib:mlx5_5/1 degraded',
    ]);
    expect(r.observations[0]?.evidence).toContain('state=1: DOWN');
    expect(r.metrics.find((m) => m.name === 'ib_port_up' && m.labels?.device === 'mlx5_5')?.value).toBe(0);
  });

  it('reports a port at 200 instead of 400', async () => {
    const devs = withPort(h100Node(), 'mlx5_2', (p) => {
      p.rate = '200 Gb/sec (4X HDR)';
    });
    const r = await run(devs, new ManualClock(T0), undefined);
    expect(r.observations.map((o) => `${o.code} ${o.component} ${o.severity}`)).toEqual([
      'ib.port.rate ib:mlx5_2/1 degraded',
    ]);
    expect(r.observations[0]?.evidence).toContain('rate=200 Gb/sec (4X HDR)');
  });

  it('judges counters over two snapshots, and survives a reset in between', async () => {
    await bootId('11111111-2222-3333-4444-555555555555');
    const clock = new ManualClock(T0);
    const counters = (sym: number) =>
      withPort(h100Node(), 'mlx5_4', (p) => {
        p.counters = { ...healthyCounters(4), symbol_error: sym };
      });
    const a = await run(counters(40_000), clock, undefined);
    expect(a.observations).toEqual([]);
    clock.advance(15_000);
    const b = await run(counters(3), clock, a.state); // counters reset (perfquery -R / driver reload)
    expect(b.observations).toEqual([]);
    expect(b.metrics.find((m) => m.labels?.counter === 'symbol_error' && m.labels.device === 'mlx5_4')).toBeUndefined();
    clock.advance(15_000);
    const c = await run(counters(90), clock, b.state);
    expect(c.observations.map((o) => `${o.code} ${o.component} ${o.severity}`)).toEqual([
      'ib.counter.symbol_error ib:mlx5_4/1 degraded',
    ]);
    const rate = c.metrics.find((m) => m.labels?.counter === 'symbol_error' && m.labels.device === 'mlx5_4');
    expect(rate?.value).toBeCloseTo(87 / 15);
    expect(c.state?.bootId).toBe('11111111-2222-3333-4444-555555555555');
  });

  it('reads N/A (no PMA) counters as undefined', async () => {
    const devs = withPort(h100Node(), 'mlx5_0', (p) => {
      p.counters = { symbol_error: 'N/A (no PMA)', link_downed: 0 };
    });
    await writeSysfs(join(root, 'sys'), devs);
    const recs = recordsFromTree(await readInfinibandDir(join(root, 'sys', 'class', 'infiniband')));
    const p0 = recs.find((p) => p.device === 'mlx5_0');
    expect(p0?.counters).toHaveProperty('symbol_error', undefined);
    expect(p0?.counters.link_downed).toBe(0);
    expect(p0?.netdev).toBe('ibp24s0');
  });

  it('reads RoCE pause counters through ethtool -S and reports a storm', async () => {
    const roce = (): GenDevice[] =>
      h100Node().map((d) => ({
        ...d,
        ports: d.ports.map((p) => ({ ...p, linkLayer: 'Ethernet', ndev: d.netdevs?.[0] ?? '' })),
      }));
    const files = ['ethtool-S-mlx5-roce-t0.txt', 'ethtool-S-mlx5-roce-t15-storm.txt'];
    let phase = 0;
    const r = runner((args) => {
      const name = args[1] === 'ibp40s0' ? (files[phase] ?? '') : 'ethtool-S-mlx5-roce-t0.txt';
      return readFileSync(join(FIX, name), 'utf8');
    });
    const clock = new ManualClock(T0);
    const a = await run(roce(), clock, undefined, r);
    expect(a.observations).toEqual([]);
    expect(calls.filter((c) => c[0] === 'ethtool')).toHaveLength(8);
    expect(calls[0]).toEqual(['ethtool', '-S', 'ibp24s0']);
    phase = 1;
    clock.advance(15_000);
    const b = await run(roce(), clock, a.state, r);
    expect(b.observations.map((o) => `${o.code} ${o.component} ${o.severity}`)).toEqual([
      'ib.roce.pfc ib:mlx5_1/1 degraded',
    ]);
  });

  it('tolerates ethtool missing: a fact, not a failure', async () => {
    const devs = withPort(h100Node(), 'mlx5_0', (p) => {
      p.linkLayer = 'Ethernet';
      p.ndev = 'ens1np0';
    });
    const r = await run(devs, new ManualClock(T0), undefined);
    expect(r.observations).toEqual([]);
    expect(r.facts?.['rdma.ethtool']).toMatch(/missing/);
  });

  it('rejects invalid settings with CONFIG_INVALID', async () => {
    await expect(
      run(h100Node(), new ManualClock(T0), undefined, missingEthtool, { expectedPorts: 'eight' }),
    ).rejects.toThrow(/expectedPorts/);
  });

  it('fails (never healthy) when the device has no readable port', async () => {
    await writeSysfs(join(root, 'sys'), [{ name: 'mlx5_0', hcaType: 'MT4129', ports: [] }]);
    await expect(rdmaProbe.run(ctx(new ManualClock(T0), missingEthtool), undefined)).rejects.toThrow(
      /no readable port/,
    );
  });
});
