import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { KeelsonError } from '../../core/errors.ts';
import { type CommandOutput, type CommandRunner, processRunner } from '../runner.ts';
import type { ProbeContext } from '../types.ts';
import { hostHwProbe } from './probe.ts';

const FIX = path.resolve(import.meta.dirname, '../../test/fixtures/host-hw');
const fx = (name: string) => readFileSync(path.join(FIX, name), 'utf8');

type Answer = CommandOutput | 'missing';

function fakeRunner(answers: Record<string, Answer>): CommandRunner {
  return {
    async run(command, args, opts) {
      const line = [command, ...args].join(' ');
      const a = answers[line] ?? answers[command];
      if (a === undefined || a === 'missing') throw new KeelsonError('CMD_MISSING', `${command} is not installed`);
      if (!(opts.okExitCodes ?? [0]).includes(a.exitCode))
        throw new KeelsonError('CMD_FAILED', `${line} exited ${a.exitCode}`);
      return a;
    },
  };
}

const out = (stdout: string, exitCode = 0): CommandOutput => ({ stdout, stderr: '', exitCode });

function ctx(
  root: string,
  runner: CommandRunner,
  settings: Record<string, unknown> = {},
  clock = new ManualClock(0),
): ProbeContext {
  return {
    runner,
    roots: { sys: path.join(root, 'sys'), proc: path.join(root, 'proc'), dev: path.join(root, 'dev') },
    clock,
    signal: new AbortController().signal,
    settings,
  };
}

const chronyOk = { 'chronyc tracking': out(fx('chrony/tracking_synced.txt')) };
const tmpRoots: string[] = [];
afterAll(() => {
  for (const d of tmpRoots) rmSync(d, { recursive: true, force: true });
});

describe('hostHwProbe.isSupported', () => {
  it('is supported with a /proc and unsupported, with a reason, without one', async () => {
    expect(await hostHwProbe.isSupported(ctx(path.join(FIX, 'edac-2mc-clean'), fakeRunner({})))).toEqual({
      supported: true,
    });
    const s = await hostHwProbe.isSupported(ctx(path.join(FIX, 'no-such-tree'), fakeRunner({})));
    expect(s.supported).toBe(false);
    expect(s.supported === false && s.reason).toContain('not readable');
  });
});

describe('hostHwProbe.run', () => {
  it('is quiet on a clean host and exports the counters', async () => {
    const r = await hostHwProbe.run(
      ctx(path.join(FIX, 'edac-2mc-clean'), fakeRunner({ ...chronyOk, 'stat -f -c %T /lustre': out('lustre\n') }), {
        mounts: [{ path: '/lustre', fstype: 'lustre' }],
        checkpointBudgetBytes: 1,
      }),
      undefined,
    );
    expect(r.observations).toEqual([]);
    expect(r.facts).toMatchObject({ edac: '2 memory controllers', clockSource: 'chrony', 'mount:/lustre': 'lustre' });
    expect(r.metrics).toContainEqual({ name: 'host_edac_ue_total', value: 0, labels: { mc: 'mc1' } });
    expect(r.metrics).toContainEqual({ name: 'host_mount_ok', value: 1, labels: { path: '/lustre' } });
    expect(r.state?.edac.mc0?.ce.bootId).toBe('3f1c2e5a-8d4b-4b52-9a3e-6f2d1c0b9e71');
  });

  it('is fatal on uncorrectable EDAC errors', async () => {
    const r = await hostHwProbe.run(ctx(path.join(FIX, 'edac-2mc-ue'), fakeRunner(chronyOk)), undefined);
    const ue = r.observations.find((o) => o.code === 'host.edac.ue');
    expect([ue?.severity, ue?.action]).toEqual(['fatal', 'drain']);
    expect(ue?.evidence).toContain('mc1 (Intel_10nm Socket#1 IMC#0) ue_count=1');
  });

  it('warns on a correctable-error rate between runs', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'keelson-hosthw-'));
    tmpRoots.push(root);
    cpSync(path.join(FIX, 'edac-2mc-clean'), root, { recursive: true });
    const clock = new ManualClock(0);
    const first = await hostHwProbe.run(ctx(root, fakeRunner(chronyOk), {}, clock), undefined);
    writeFileSync(path.join(root, 'sys/devices/system/edac/mc/mc0/ce_count'), '4\n');
    clock.advance(60_000);
    const second = await hostHwProbe.run(ctx(root, fakeRunner(chronyOk), {}, clock), first.state);
    const ce = second.observations.find((o) => o.code === 'host.edac.ce');
    expect(ce?.message).toContain('240.0/h');
  });

  it('names a host without EDAC in the facts and judges /dev/shm against the budget', async () => {
    const r = await hostHwProbe.run(
      ctx(
        path.join(FIX, 'vm-no-edac'),
        fakeRunner({ chronyc: 'missing', timedatectl: out(fx('timedatectl/show_ntp-off.txt')) }),
        {
          checkpointBudgetBytes: 2 ** 52,
        },
      ),
      undefined,
    );
    expect(r.facts?.edac).toBe('absent');
    expect(r.facts?.clockSource).toBe('timedatectl');
    expect(r.observations.map((o) => o.code).sort()).toEqual(['host.clock.unsynced', 'host.shm.small']);
  });

  it('reports a configured mount that is not in the mount table, or of the wrong type, without running stat', async () => {
    const calls: string[] = [];
    const runner: CommandRunner = {
      run(command, args, opts) {
        calls.push([command, ...args].join(' '));
        return fakeRunner(chronyOk).run(command, args, opts);
      },
    };
    const r = await hostHwProbe.run(
      ctx(path.join(FIX, 'vm-no-edac'), runner, { mounts: ['/lustre', { path: '/home', fstype: 'lustre' }] }),
      undefined,
    );
    const missing = r.observations.filter((o) => o.code === 'host.mount.missing');
    expect(missing.map((o) => o.component)).toEqual(['mount:/lustre', 'mount:/home']);
    expect(missing[1]?.message).toContain('nfs4');
    expect(calls.filter((c) => c.startsWith('stat'))).toEqual([]);
  });

  it('falls back to timedatectl and skips the clock when neither tool answers', async () => {
    const r = await hostHwProbe.run(
      ctx(
        path.join(FIX, 'edac-2mc-clean'),
        fakeRunner({ 'chronyc tracking': out(fx('chrony/cannot-talk-to-daemon.txt'), 1) }),
      ),
      undefined,
    );
    expect(r.facts?.clockSource).toBe('none');
    expect(r.observations).toEqual([]);
  });
});

describe('hostHwProbe hung mounts', () => {
  /** A mount table naming /lustre (hung: its stat is a real `sleep 5`) and a real temp dir (answers). */
  function hungTree(): { root: string; live: string } {
    const root = mkdtempSync(path.join(tmpdir(), 'keelson-hung-'));
    tmpRoots.push(root);
    cpSync(path.join(FIX, 'edac-2mc-clean'), root, { recursive: true });
    const live = path.join(root, 'live-mount');
    cpSync(path.join(FIX, 'edac-2mc-clean', 'dev'), live, { recursive: true });
    writeFileSync(
      path.join(root, 'proc', 'mounts'),
      `${fx('proc-mounts/dgx-h100_lustre-nfs.txt')}tmpfs ${live} tmpfs rw,relatime 0 0\n`,
    );
    return { root, live };
  }

  it('reports a mount whose stat sleeps past the timeout as hung, without blocking the event loop', async () => {
    const { root, live } = hungTree();
    const runner: CommandRunner = {
      run(command, args, opts) {
        // Real child processes: the hung mount's statfs is a `sleep 5` that the runner must kill.
        if (command === 'stat' && args.at(-1) === '/lustre') return processRunner.run('sleep', ['5'], opts);
        if (command === 'stat') return processRunner.run(command, args, opts);
        return fakeRunner(chronyOk).run(command, args, opts);
      },
    };
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    const started = Date.now();
    try {
      const r = await hostHwProbe.run(ctx(root, runner, { mounts: ['/lustre', live], mountTimeoutMs: 400 }), undefined);
      const elapsed = Date.now() - started;
      expect(elapsed).toBeLessThan(3000);
      expect(ticks).toBeGreaterThanOrEqual(10);
      const hung = r.observations.find((o) => o.code === 'host.mount.hung');
      expect([hung?.component, hung?.severity]).toEqual(['mount:/lustre', 'degraded']);
      expect(hung?.message).toContain('400 ms');
      expect(r.observations.filter((o) => o.component === `mount:${live}`)).toEqual([]);
      expect(r.metrics).toContainEqual({ name: 'host_mount_ok', value: 1, labels: { path: live } });
    } finally {
      clearInterval(ticker);
    }
  });

  it('still returns when the child never finishes at all (unkillable D state)', async () => {
    const { root } = hungTree();
    const runner: CommandRunner = {
      run(command, args, opts) {
        if (command === 'stat') return new Promise<CommandOutput>(() => {});
        return fakeRunner(chronyOk).run(command, args, opts);
      },
    };
    const started = Date.now();
    const r = await hostHwProbe.run(ctx(root, runner, { mounts: ['/lustre'], mountTimeoutMs: 200 }), undefined);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r.observations.map((o) => o.code)).toEqual(['host.mount.hung']);
  });
});
