import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { KeelsonError } from '../../core/errors.ts';
import type { CommandOutput, CommandRunner } from '../runner.ts';
import type { ProbeContext } from '../types.ts';
import { driverProbe } from './probe.ts';

const FIX = path.resolve(import.meta.dirname, '../../test/fixtures/driver');
const fx = (name: string) => readFileSync(path.join(FIX, name), 'utf8');

type Answer = CommandOutput | 'missing';

function fakeRunner(answers: Record<string, Answer>, calls: string[] = []): CommandRunner {
  return {
    async run(command, args, opts) {
      const line = [command, ...args].join(' ');
      calls.push(line);
      const a = answers[line] ?? answers[command];
      if (a === undefined) throw new KeelsonError('CMD_FAILED', `${line}: no canned answer`);
      if (a === 'missing') throw new KeelsonError('CMD_MISSING', `${command} is not installed`);
      if (!(opts.okExitCodes ?? [0]).includes(a.exitCode))
        throw new KeelsonError('CMD_FAILED', `${line} exited ${a.exitCode}`);
      return a;
    },
  };
}

const out = (stdout: string, exitCode = 0, stderr = ''): CommandOutput => ({ stdout, stderr, exitCode });

function ctx(tree: string, runner: CommandRunner, settings: Record<string, unknown> = {}): ProbeContext {
  const root = path.join(FIX, tree);
  return {
    runner,
    roots: { sys: path.join(root, 'sys'), proc: path.join(root, 'proc'), dev: path.join(root, 'dev') },
    clock: new ManualClock(0),
    signal: new AbortController().signal,
    settings: {
      cudaPath: path.join(FIX, 'cuda-12.2'),
      ncclSearchDirs: [path.join(FIX, 'no-such-dir'), path.join(FIX, 'nccl-lib')],
      ncclHeaders: [],
      ...settings,
    },
  };
}

const healthySmi = out(fx('nvidia-smi/h100x8_535.161.08_table.txt'));

describe('driverProbe.isSupported', () => {
  it('is supported where /proc/driver/nvidia exists', async () => {
    expect(await driverProbe.isSupported(ctx('hgx-h100-nvswitch', fakeRunner({})))).toEqual({ supported: true });
  });

  it('is unsupported with a reason on a host without the nvidia driver', async () => {
    const s = await driverProbe.isSupported(ctx('cpu-node', fakeRunner({})));
    expect(s.supported).toBe(false);
    expect(s.supported === false && s.reason).toMatch(/no NVIDIA kernel driver/);
  });
});

describe('driverProbe.run', () => {
  it('reports the versions as facts on a healthy HGX node and checks the fabric manager', async () => {
    const calls: string[] = [];
    const r = await driverProbe.run(
      ctx(
        'hgx-h100-nvswitch',
        fakeRunner(
          {
            'nvidia-smi': healthySmi,
            'systemctl is-active nvidia-fabricmanager': out('active\n'),
            'ofed_info -s': out(fx('ofed/ofed_info-s_mlnx-ofed-23.10.txt')),
          },
          calls,
        ),
      ),
      undefined,
    );
    expect(r.observations).toEqual([]);
    expect(calls).toEqual(['nvidia-smi', 'systemctl is-active nvidia-fabricmanager', 'ofed_info -s']);
    expect(r.facts).toMatchObject({
      driverVersion: '535.161.08',
      driverFlavor: 'proprietary',
      smiDriverVersion: '535.161.08',
      cudaVersion: '12.2',
      cudaToolkitVersion: '12.2.2',
      ofedVersion: '23.10-1.1.9.0',
      ncclVersion: '2.21.5',
      nvswitchCount: '4',
      fabricManager: 'active',
    });
    expect(r.facts?.modules).toContain('nvidia_peermem');
    expect(r.metrics).toContainEqual({ name: 'nvswitch_count', value: 4 });
  });

  it('is fatal when the fabric manager is inactive on an NVSwitch system', async () => {
    const r = await driverProbe.run(
      ctx(
        'hgx-h100-nvswitch',
        fakeRunner({
          'nvidia-smi': healthySmi,
          'systemctl is-active nvidia-fabricmanager': out('inactive\n', 3),
          ofed_info: 'missing',
        }),
      ),
      undefined,
    );
    expect(r.observations.map((o) => [o.code, o.severity, o.action])).toEqual([
      ['driver.fabricmanager.down', 'fatal', 'drain'],
    ]);
    expect(r.facts?.ofedVersion).toBeUndefined();
  });

  it('leaves the fabric manager unknown (no finding) where systemctl cannot answer', async () => {
    const r = await driverProbe.run(
      ctx(
        'hgx-h100-nvswitch',
        fakeRunner({
          'nvidia-smi': healthySmi,
          systemctl: out('', 1, "System has not been booted with systemd as init system (PID 1). Can't operate."),
          ofed_info: 'missing',
        }),
      ),
      undefined,
    );
    expect(r.observations).toEqual([]);
    expect(r.facts?.fabricManager).toBe('unknown');
  });

  it('reports a driver/library mismatch from a failing nvidia-smi', async () => {
    const r = await driverProbe.run(
      ctx(
        'hgx-h100-nvswitch',
        fakeRunner({
          'nvidia-smi': out(fx('nvidia-smi/driver-library-mismatch_535.183.txt'), 18),
          'systemctl is-active nvidia-fabricmanager': out('active\n'),
          ofed_info: 'missing',
        }),
      ),
      undefined,
    );
    const o = r.observations.find((x) => x.code === 'driver.version.mismatch');
    expect([o?.severity, o?.action]).toEqual(['fatal', 'reboot']);
    expect(o?.message).toContain('kernel module 535.161.08');
  });

  it('does not ask systemctl without NVSwitches; flags missing uvm; falls back to the driver_version query', async () => {
    const calls: string[] = [];
    const r = await driverProbe.run(
      ctx(
        'pcie-l40s',
        fakeRunner(
          {
            // A header without "Driver Version:" (trimmed output): the query answers instead.
            'nvidia-smi': out('| NVIDIA-SMI 560.35.03    CUDA Version: 12.6 |\n'),
            'nvidia-smi --query-gpu=driver_version --format=csv,noheader': out('560.35.03\n'),
            ofed_info: 'missing',
          },
          calls,
        ),
        { cudaPath: path.join(FIX, 'cuda-11.0'), ncclLibPath: path.join(FIX, 'nccl-include', 'nccl.h') },
      ),
      undefined,
    );
    expect(calls).not.toContain('systemctl is-active nvidia-fabricmanager');
    expect(r.observations.map((o) => [o.code, o.severity])).toEqual([['driver.module.missing', 'warn']]);
    expect(r.facts).toMatchObject({
      driverVersion: '560.35.03',
      driverFlavor: 'open',
      smiDriverVersion: '560.35.03',
      cudaVersion: '12.6',
      cudaToolkitVersion: '11.0.228',
      ncclVersion: '2.19.3',
      nvswitchCount: '0',
    });
    expect(r.facts?.fabricManager).toBeUndefined();
  });

  it('keeps going when nvidia-smi is missing, noting why', async () => {
    const r = await driverProbe.run(
      ctx('pcie-l40s', fakeRunner({ 'nvidia-smi': 'missing', ofed_info: 'missing' }), { ncclLibPath: '/nonexistent' }),
      undefined,
    );
    expect(r.facts?.driverVersion).toBe('560.35.03');
    expect(r.facts?.smiError).toMatch(/^CMD_MISSING/);
    expect(r.facts?.ncclVersion).toBeUndefined();
  });
});
