/** The watcher end to end over temp roots, its fallbacks, and the Probe that reports on it. */
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import type { Observation } from '../../core/finding.ts';
import type { CommandRunner } from '../runner.ts';
import type { ProbeContext, ProbeRoots } from '../types.ts';
import { createKernelLogProbe, createKernelLogWatcher, type KernelLogWatcher } from './probe.ts';

let dir: string;
let roots: ProbeRoots;
const BOOT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const NOW = Date.UTC(2025, 0, 1, 12);

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const failingRunner: CommandRunner = {
  run: async (cmd) => {
    throw Object.assign(new Error(`${cmd} is not installed`), { code: 'CMD_MISSING' });
  },
};
const noJournal = { command: 'keelson-no-such-journalctl', args: [] };

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'keelson-klog-'));
  roots = { sys: path.join(dir, 'sys'), proc: path.join(dir, 'proc'), dev: path.join(dir, 'dev') };
  await mkdir(path.join(roots.proc, 'sys/kernel/random'), { recursive: true });
  await mkdir(roots.dev, { recursive: true });
  await writeFile(path.join(roots.proc, 'sys/kernel/random/boot_id'), `${BOOT}\n`);
  await writeFile(path.join(roots.proc, 'uptime'), '100.00 200.00\n');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ctx = (runner: CommandRunner = failingRunner): ProbeContext => ({
  runner,
  roots,
  clock: new ManualClock(NOW),
  signal: new AbortController().signal,
  settings: {},
});

describe('createKernelLogWatcher', () => {
  let w: KernelLogWatcher | undefined;
  afterEach(async () => {
    await w?.stop();
    w = undefined;
  });

  it('follows <dev>/kmsg: an Xid 79 burst becomes one fatal observation at boot time + usec', async () => {
    const kmsg = path.join(roots.dev, 'kmsg');
    await writeFile(kmsg, '4,1,50000000,-;NVRM: Xid (PCI:0000:3b:00): 79, pid=1, old news before start\n');
    const got: Observation[] = [];
    w = createKernelLogWatcher({
      roots,
      statePath: path.join(dir, 'state.json'),
      clock: new ManualClock(NOW),
      onObservations: (o) => got.push(...o),
      runner: failingRunner,
      journalCommand: noJournal,
    });
    await w.start();
    expect(w.source()).toBe('kmsg');
    const xid = (seq: number, usec: number) =>
      `3,${seq},${usec},-;NVRM: Xid (PCI:0000:3b:00): 79, pid=${seq}, name=python3, GPU has fallen off the bus.\n`;
    await appendFile(kmsg, xid(2, 101_000_000) + xid(3, 102_000_000) + xid(4, 103_000_000));
    await waitFor(() => got.length > 0);
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      code: 'gpu.xid.79',
      component: 'gpu:0000:3b:00.0',
      severity: 'fatal',
      action: 'reboot',
      at: NOW + 1000,
    });
    const result = await createKernelLogProbe(() => w).run(ctx(), undefined);
    expect(result.facts).toMatchObject({ 'kernel-log.source': 'kmsg', 'kernel-log.state': 'running' });
    expect(result.metrics.find((m) => m.name === 'kernel_log_lines_total')?.value).toBe(3);
    expect(result.observations).toEqual([]);
  });

  it('reports flapping links as open conditions from run()', async () => {
    const kmsg = path.join(roots.dev, 'kmsg');
    await writeFile(kmsg, '');
    const clock = new ManualClock(NOW);
    w = createKernelLogWatcher({
      roots,
      clock,
      settings: { flapTransitions: 3 },
      onObservations: () => undefined,
      runner: failingRunner,
      journalCommand: noJournal,
    });
    await w.start();
    const l = (seq: number, s: string) =>
      `6,${seq},${100_000_000 + seq * 1000},-;mlx5_core 0000:1a:00.0 ibp26s0: Link ${s}\n`;
    await appendFile(kmsg, l(1, 'down') + l(2, 'up') + l(3, 'down'));
    const probe = createKernelLogProbe(() => w);
    await waitFor(() => w?.health()?.lines === 3);
    const r = await probe.run(ctx(), undefined);
    expect(r.observations.map((o) => `${o.code} ${o.component} ${o.kind}`)).toEqual([
      'ib.link.flap ib:ibp26s0 condition',
    ]);
    clock.advance(11 * 60_000);
    expect((await probe.run(ctx(), undefined)).observations).toEqual([]);
  });

  it('falls back to the journal when kmsg cannot be read', async () => {
    const got: Observation[] = [];
    const line = JSON.stringify({
      MESSAGE: 'nvme nvme0: I/O 12 QID 3 timeout, aborting',
      __REALTIME_TIMESTAMP: String((NOW + 5000) * 1000),
      _BOOT_ID: BOOT,
    });
    w = createKernelLogWatcher({
      roots,
      clock: new ManualClock(NOW),
      onObservations: (o) => got.push(...o),
      runner: failingRunner,
      journalCommand: {
        command: process.execPath,
        args: ['-e', `console.log(${JSON.stringify(line)}); setInterval(() => {}, 1000)`],
      },
    });
    await w.start();
    expect(w.source()).toBe('journal');
    expect(w.failures()[0]).toMatch(/^kmsg: /);
    await waitFor(() => got.length === 1);
    expect(got[0]).toMatchObject({ code: 'nvme.io_timeout', component: 'nvme0', at: NOW + 5000 });
  });

  it('falls back to dmesg polling, and reports kernel.log.unreadable when nothing works', async () => {
    const dmesgRunner: CommandRunner = {
      run: async () => ({
        stdout: '<6>[   99.000000] old\n<4>[  100.500000] EDAC MC0: 1 UE x\n',
        stderr: '',
        exitCode: 0,
      }),
    };
    const got: Observation[] = [];
    w = createKernelLogWatcher({
      roots,
      clock: new ManualClock(NOW),
      onObservations: (o) => got.push(...o),
      runner: dmesgRunner,
      journalCommand: noJournal,
    });
    await w.start();
    expect(w.source()).toBe('dmesg');
    expect(got.map((o) => o.code)).toEqual(['kernel.edac.ue']);
    expect(got[0]?.at).toBe(NOW + 500);
    await w.stop();

    w = createKernelLogWatcher({
      roots,
      clock: new ManualClock(NOW),
      onObservations: () => undefined,
      runner: failingRunner,
      journalCommand: noJournal,
    });
    await w.start();
    expect(w.source()).toBe('none');
    const r = await createKernelLogProbe(() => w).run(ctx(), undefined);
    expect(r.facts?.['kernel-log.source']).toBe('none');
    expect(r.observations).toMatchObject([
      { code: 'kernel.log.unreadable', component: 'probe:kernel-log', kind: 'condition' },
    ]);
    expect(r.observations[0]?.evidence).toMatch(/kmsg: .*journal: .*dmesg: /);
  });

  it('rejects invalid settings up front', () => {
    expect(() =>
      createKernelLogWatcher({
        roots,
        clock: new ManualClock(0),
        settings: { burstWindowSec: -1 },
        onObservations: () => undefined,
      }),
    ).toThrow(/burstWindowSec/);
  });
});

describe('kernelLogProbe', () => {
  it('is supported when <dev>/kmsg is readable', async () => {
    await writeFile(path.join(roots.dev, 'kmsg'), '');
    expect(await createKernelLogProbe(() => undefined).isSupported(ctx())).toEqual({ supported: true });
  });
  it('is supported through journalctl when kmsg is not readable', async () => {
    const runner: CommandRunner = {
      run: async (cmd) => {
        if (cmd === 'journalctl') return { stdout: 'systemd 252\n', stderr: '', exitCode: 0 };
        throw new Error('no');
      },
    };
    expect(await createKernelLogProbe(() => undefined).isSupported(ctx(runner))).toEqual({ supported: true });
  });
  it('is unsupported (not failed) when no source is readable, and when dmesg prints nothing', async () => {
    const s = await createKernelLogProbe(() => undefined).isSupported(ctx());
    expect(s.supported).toBe(false);
    const empty: CommandRunner = {
      run: async (cmd) => {
        if (cmd === 'dmesg') return { stdout: '', stderr: '', exitCode: 0 };
        throw new Error('no');
      },
    };
    expect((await createKernelLogProbe(() => undefined).isSupported(ctx(empty))).supported).toBe(false);
  });
  it('reports not-started before any watcher runs', async () => {
    const r = await createKernelLogProbe(() => undefined).run(ctx(), undefined);
    expect(r).toEqual({ observations: [], metrics: [], facts: { 'kernel-log.source': 'not-started' } });
  });
});
