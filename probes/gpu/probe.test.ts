import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { KeelsonError } from '../../core/errors.ts';
import type { CommandOutput, CommandRunner, RunOptions } from '../runner.ts';
import type { ProbeContext } from '../types.ts';
import { GPU_QUERY_FIELDS, GPU_QUERY_FIELDS_LEGACY } from './parse-csv.ts';
import { gpuProbe } from './probe.ts';
import { listNvidiaPciGpus } from './read.ts';
import type { GpuState } from './rules.ts';

const fx = (n: string) => readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/gpu', n), 'utf8');
const H100_BUS = ['18', '2A', '3A', '5D', '9A', 'AB', 'BA', 'DB'];

type Reply = CommandOutput | KeelsonError;
interface Call {
  command: string;
  args: readonly string[];
  opts: RunOptions;
}

/** A runner serving canned replies by the first argument (`-q`, `nvlink`, `--query-gpu=...`, `-h`). */
function fakeRunner(reply: (args: readonly string[]) => Reply): CommandRunner & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    async run(command, args, opts) {
      calls.push({ command, args, opts });
      const r = reply(args);
      if (r instanceof KeelsonError) throw r;
      return r;
    },
  };
}
const ok = (stdout: string): CommandOutput => ({ stdout, stderr: '', exitCode: 0 });
const failed = (stdout: string, exitCode = 9, stderr = ''): KeelsonError =>
  Object.assign(new KeelsonError('CMD_FAILED', `nvidia-smi exited ${exitCode}`), {
    output: { stdout, stderr, exitCode },
  });
const missing = () => new KeelsonError('CMD_MISSING', 'nvidia-smi is not installed');

let sysWithGpus: string;
let sysWithout: string;

async function pciDevice(sys: string, addr: string, vendor: string, cls: string) {
  const d = path.join(sys, 'bus', 'pci', 'devices', addr);
  await mkdir(d, { recursive: true });
  await writeFile(path.join(d, 'vendor'), `${vendor}\n`);
  await writeFile(path.join(d, 'class'), `${cls}\n`);
}

beforeAll(async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'keelson-gpu-'));
  sysWithGpus = path.join(root, 'gpus', 'sys');
  sysWithout = path.join(root, 'cpu', 'sys');
  for (const b of H100_BUS) await pciDevice(sysWithGpus, `0000:${b.toLowerCase()}:00.0`, '0x10de', '0x030200');
  await pciDevice(sysWithGpus, '0000:05:00.0', '0x10de', '0x068000'); // NVSwitch: a bridge, not a GPU
  await pciDevice(sysWithGpus, '0000:0c:00.0', '0x15b3', '0x020700'); // ConnectX HCA
  await pciDevice(sysWithout, '0000:00:1f.0', '0x8086', '0x060100');
});
afterAll(async () => {
  await rm(path.dirname(path.dirname(sysWithGpus)), { recursive: true, force: true });
});

function ctx(
  runner: CommandRunner,
  sys: string,
  settings: Record<string, unknown> = {},
  clock = new ManualClock(1_741_700_000_000),
): ProbeContext {
  return {
    runner,
    roots: { sys, proc: '/nonexistent/proc', dev: '/nonexistent/dev' },
    clock,
    signal: new AbortController().signal,
    settings,
  };
}

describe('listNvidiaPciGpus', () => {
  it('counts NVIDIA display/3D controllers only (not NVSwitches or NICs)', async () => {
    expect(await listNvidiaPciGpus(sysWithGpus)).toEqual(H100_BUS.map((b) => `00000000:${b}:00.0`));
    expect(await listNvidiaPciGpus(sysWithout)).toEqual([]);
    expect(await listNvidiaPciGpus('/nonexistent/sys')).toBeUndefined();
  });
});

describe('gpuProbe.isSupported', () => {
  it('is supported when nvidia-smi answers', async () => {
    const r = fakeRunner(() => ok('NVIDIA System Management Interface -- v550.127.08'));
    expect(await gpuProbe.isSupported(ctx(r, sysWithout))).toEqual({ supported: true });
    expect(r.calls[0]?.args).toEqual(['-h']);
  });

  it('is supported without nvidia-smi when NVIDIA GPUs are on the PCI bus', async () => {
    expect(await gpuProbe.isSupported(ctx(fakeRunner(missing), sysWithGpus))).toEqual({ supported: true });
  });

  it('is unsupported, with a reason, on a host with neither', async () => {
    const s = await gpuProbe.isSupported(ctx(fakeRunner(missing), sysWithout));
    expect(s.supported).toBe(false);
    expect(s.supported === false && s.reason).toMatch(/nvidia-smi is not installed and no NVIDIA GPU/);
  });
});

describe('gpuProbe.run', () => {
  it('declares its defaults', () => {
    expect(gpuProbe.defaults).toEqual({ intervalSec: 30, timeoutMs: 20_000, outputCapBytes: 8 * 1024 * 1024 });
  });

  it('reads XML then NVLink, with the output cap and a timeout inside the probe budget', async () => {
    const r = fakeRunner((a) =>
      a[0] === '-q' ? ok(fx('h100-8gpu-rowremap-failure.xml')) : ok(fx('h100-8gpu-nvlink-two-inactive.txt')),
    );
    const res = await gpuProbe.run(ctx(r, sysWithGpus), undefined);
    expect(r.calls.map((c) => c.args)).toEqual([
      ['-q', '-x'],
      ['nvlink', '-s'],
    ]);
    for (const c of r.calls) {
      expect(c.command).toBe('nvidia-smi');
      expect(c.opts.outputCapBytes).toBe(8 * 1024 * 1024);
      expect(c.opts.timeoutMs).toBeLessThanOrEqual(20_000);
    }
    expect(res.observations.map((o) => `${o.code}@${o.component}`).sort()).toEqual([
      'gpu.nvlink.inactive@gpu:2',
      'gpu.recovery_action@gpu:5',
      'gpu.rowremap.failure@gpu:5',
    ]);
    expect(res.facts).toMatchObject({
      driver_version: '570.133.20',
      gpu_count: '8',
      gpu_pci_count: '8',
      gpu_model: 'NVIDIA H100 80GB HBM3',
    });
    expect(res.metrics.some((m) => m.name === 'gpu_power_draw_watts' && m.labels?.gpu === '7')).toBe(true);
    expect(Object.keys(res.state?.gpus ?? {})).toHaveLength(8);
  });

  it('falls back to --query-gpu CSV when the XML does not parse, stepping down to field names the driver knows', async () => {
    const r = fakeRunner((a) => {
      if (a[0] === '-q') return ok(fx('h100-1gpu-idle-gen1.xml').slice(0, 2000));
      if (a[0] === 'nvlink') return failed('', 3);
      if (a[0]?.includes('clocks_event_reasons'))
        return failed('Field "clocks_event_reasons.gpu_idle" is not a valid field to query.\n', 2);
      return ok(fx('v100-4gpu-query-legacy-faulty.csv'));
    });
    const res = await gpuProbe.run(ctx(r, sysWithout), undefined);
    const queries = r.calls.filter((c) => c.args[0]?.startsWith('--query-gpu='));
    expect(queries).toHaveLength(3);
    expect(queries[0]?.args).toEqual([`--query-gpu=${GPU_QUERY_FIELDS.join(',')}`, '--format=csv']);
    expect(queries[2]?.args[0]).toBe(`--query-gpu=${GPU_QUERY_FIELDS_LEGACY.join(',')}`);
    const got = res.observations.map((o) => `${o.code}@${o.component}`);
    expect(got).toContain('gpu.ecc.dbe@gpu:1');
    expect(got).toContain('gpu.retired_pages.pending@gpu:1');
    expect(got).toContain('gpu.smi.field_error@gpu:3');
  });

  it('a missing nvidia-smi on a host with NVIDIA GPUs is a finding', async () => {
    const res = await gpuProbe.run(ctx(fakeRunner(missing), sysWithGpus), undefined);
    expect(res.observations).toMatchObject([{ code: 'gpu.smi.missing', component: 'host', severity: 'degraded' }]);
  });

  it('a hung nvidia-smi is gpu.smi.timeout and nothing else is run', async () => {
    const r = fakeRunner(() => new KeelsonError('CMD_TIMEOUT', 'nvidia-smi did not finish within 12000 ms'));
    const res = await gpuProbe.run(ctx(r, sysWithGpus), undefined);
    expect(res.observations.map((o) => o.code)).toEqual(['gpu.smi.timeout']);
    expect(r.calls).toHaveLength(1);
  });

  it('"No devices were found" is gpu.smi.no_devices, without a CSV retry', async () => {
    const r = fakeRunner(() => failed(fx('error-no-devices.txt'), 6));
    const res = await gpuProbe.run(ctx(r, sysWithGpus), undefined);
    expect(res.observations.map((o) => o.code)).toEqual(['gpu.smi.no_devices']);
    expect(r.calls).toHaveLength(1);
  });

  it('a lost GPU: the handle error, then the CSV listing the others → gpu.smi.lost and gpu.missing', async () => {
    const csv = fx('h100-8gpu-query-healthy.csv')
      .split('\n')
      .filter((l) => !l.startsWith('4, '))
      .join('\n');
    const r = fakeRunner((a) => {
      if (a[0] === '-q') return failed('', 15, fx('error-handle-unknown-error.txt'));
      if (a[0] === 'nvlink')
        return ok(
          fx('h100-8gpu-nvlink-two-inactive.txt').replace(/\t Link \d+: <inactive>/g, '\t Link 1: 26.562 GB/s'),
        );
      return ok(csv);
    });
    const res = await gpuProbe.run(ctx(r, sysWithGpus), undefined);
    expect(res.observations.map((o) => `${o.code}@${o.component}`).sort()).toEqual([
      'gpu.missing@host',
      'gpu.smi.lost@gpu:00000000:9A:00.0',
    ]);
    expect(res.observations.find((o) => o.code === 'gpu.missing')?.evidence).toContain('absent: 00000000:9A:00.0');
  });

  it('judges throttling over successive runs through the state it returns', async () => {
    const xml = fx('h100-8gpu-healthy.xml').replace(
      /(<gpu id="00000000:9A:00.0">[\s\S]*?)<clocks_event_reason_hw_slowdown>Not Active/,
      '$1<clocks_event_reason_hw_slowdown>Active',
    );
    const r = fakeRunner((a) =>
      a[0] === '-q' ? ok(xml) : ok(fx('h100-8gpu-nvlink-two-inactive.txt').replace(/<inactive>/g, '26.562 GB/s')),
    );
    const clock = new ManualClock(1_741_700_000_000);
    let state: GpuState | undefined;
    const seen: string[][] = [];
    for (let k = 0; k < 3; k++) {
      const res = await gpuProbe.run(ctx(r, sysWithGpus, {}, clock), state);
      state = res.state;
      seen.push(res.observations.map((o) => `${o.code}@${o.component}`));
      clock.advance(30_000);
    }
    expect(seen).toEqual([[], [], ['gpu.throttle.hw_slowdown@gpu:4']]);
  });

  it('rejects invalid settings with CONFIG_INVALID', async () => {
    const r = fakeRunner(() => ok(fx('h100-8gpu-healthy.xml')));
    await expect(gpuProbe.run(ctx(r, sysWithGpus, { expectedCount: -1 }), undefined)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });
});
