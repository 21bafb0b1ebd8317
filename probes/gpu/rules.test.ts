import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../core/finding.ts';
import { parseNvlinkStatus, parseSmiCsv, parseSmiText, parseSmiXml, scanSmiIssues } from './parse.ts';
import type { GpuRecord, GpuSnapshot } from './record.ts';
import { evaluateGpu, type GpuInput, type GpuState, type RuleMode } from './rules.ts';
import { DEFAULT_GPU_SETTINGS, type GpuSettings, parseGpuSettings } from './settings.ts';

const fx = (n: string) => readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/gpu', n), 'utf8');
const healthy = () => parseSmiXml(fx('h100-8gpu-healthy.xml'));
const MIN = 60_000;
const T0 = Date.UTC(2025, 2, 11, 14, 0, 0);

function run(
  input: Partial<GpuInput>,
  opts: { prev?: GpuState; now?: number; settings?: Partial<GpuSettings>; mode?: RuleMode } = {},
) {
  return evaluateGpu(
    { issues: [], ...input },
    opts.prev,
    opts.now ?? T0,
    { ...DEFAULT_GPU_SETTINGS, ...opts.settings },
    opts.mode ?? 'live',
  );
}
const codes = (r: { observations: { code: string }[] }) => r.observations.map((o) => o.code);
const find = (r: { observations: Observation[] }, code: string) => r.observations.filter((o) => o.code === code);

/** The healthy 8x H100 snapshot with one GPU changed. */
function withGpu(i: number, change: (g: GpuRecord) => void, base: GpuSnapshot = healthy()): GpuSnapshot {
  const snap = structuredClone(base);
  const g = snap.gpus[i];
  if (!g) throw new Error(`no gpu ${i}`);
  change(g);
  return snap;
}

/** Feed the same snapshot-producing function `n` times, 30 s apart, carrying the state. */
function series(n: number, snapAt: (k: number) => GpuSnapshot, settings?: Partial<GpuSettings>) {
  let prev: GpuState | undefined;
  const results = [];
  for (let k = 0; k < n; k++) {
    const r = run({ snapshot: snapAt(k) }, { prev, now: T0 + k * 30_000, ...(settings ? { settings } : {}) });
    prev = r.state;
    results.push(r);
  }
  return results;
}

describe('healthy input', () => {
  it('an 8x H100 node under load produces no observations, live or snapshot', () => {
    expect(codes(run({ snapshot: healthy(), pciGpus: healthy().gpus.map((g) => g.busId!) }))).toEqual([]);
    expect(codes(run({ snapshot: healthy() }, { mode: 'snapshot' }))).toEqual([]);
    expect(codes(run({ snapshot: parseSmiCsv(fx('h100-8gpu-query-healthy.csv')) }))).toEqual([]);
  });
});

describe('throttle reasons over a window', () => {
  const slowed = () =>
    withGpu(4, (g) => Object.assign(g.clockEvents, { hwSlowdown: true, hwPowerBrakeSlowdown: true }));

  it('a single sample never alerts in live mode', () => {
    expect(codes(run({ snapshot: slowed() }))).toEqual([]);
  });

  it('alerts once enough samples in the window have the reason active, on the right GPU', () => {
    const rs = series(3, () => slowed());
    expect(codes(rs[1]!)).toEqual([]);
    const last = rs[2]!;
    expect(find(last, 'gpu.throttle.hw_slowdown')).toMatchObject([
      { component: 'gpu:4', severity: 'degraded', action: 'inspect-hardware' },
    ]);
    expect(find(last, 'gpu.throttle.power_brake')).toHaveLength(1);
    expect(find(last, 'gpu.throttle.hw_thermal')).toHaveLength(0);
  });

  it('does not alert when the reason flickers below the fraction', () => {
    const rs = series(6, (k) => (k === 5 ? slowed() : healthy()));
    expect(codes(rs[5]!)).toEqual([]);
  });

  it('forgets samples older than the window', () => {
    const a = run({ snapshot: slowed() });
    const b = run({ snapshot: slowed() }, { prev: a.state, now: T0 + 30_000 });
    const c = run({ snapshot: slowed() }, { prev: b.state, now: T0 + 30 * MIN });
    expect(codes(c)).toEqual([]);
    expect(c.state.gpus[healthy().gpus[4]!.uuid!]?.throttle).toHaveLength(1);
  });

  it('reports a reason active in a single snapshot as warn (analyze mode)', () => {
    const r = run({ snapshot: slowed() }, { mode: 'snapshot' });
    expect(find(r, 'gpu.throttle.hw_slowdown')).toMatchObject([{ severity: 'warn', component: 'gpu:4' }]);
    expect(find(r, 'gpu.throttle.power_brake')).toMatchObject([{ severity: 'warn' }]);
  });
});

describe('PCIe link', () => {
  const busyDown = () => parseSmiXml(fx('h100-8gpu-thermal-pcie.xml'));
  const idleGen1 = () => parseSmiXml(fx('h100-1gpu-idle-gen1.xml'));

  it('exempts an idle GPU at Gen1 (power saving), live and snapshot', () => {
    expect(find(run({ snapshot: idleGen1() }, { mode: 'snapshot' }), 'gpu.pcie.downtrained')).toEqual([]);
    const rs = series(4, () => idleGen1());
    expect(find(rs[3]!, 'gpu.pcie.downtrained')).toEqual([]);
  });

  it('reports a busy GPU below max gen/width after consecutive samples live', () => {
    const rs = series(2, () => busyDown());
    expect(find(rs[0]!, 'gpu.pcie.downtrained')).toEqual([]);
    expect(find(rs[1]!, 'gpu.pcie.downtrained')).toMatchObject([
      { component: 'gpu:2', severity: 'degraded', evidence: 'PCIe Gen 4/5 x8/x16 at 97% utilisation' },
    ]);
  });

  it('resets the streak when the GPU goes idle', () => {
    const goIdle = () => withGpu(2, (g) => Object.assign(g.clockEvents, { gpuIdle: true }), busyDown());
    const rs = series(3, (k) => (k === 1 ? goIdle() : busyDown()));
    expect(find(rs[2]!, 'gpu.pcie.downtrained')).toEqual([]);
  });

  it('reports a busy downtrained GPU in a single snapshot as warn', () => {
    expect(find(run({ snapshot: busyDown() }, { mode: 'snapshot' }), 'gpu.pcie.downtrained')).toMatchObject([
      { component: 'gpu:2', severity: 'warn' },
    ]);
  });

  it('judges replays as a rate over the window, not as a lifetime count', () => {
    const many = (n: number) => withGpu(0, (g) => Object.assign(g.pcie, { replays: n }));
    expect(codes(run({ snapshot: many(5000) }, { mode: 'snapshot' }))).toEqual([]);
    const a = run({ snapshot: many(5000) });
    const b = run({ snapshot: many(5040) }, { prev: a.state, now: T0 + 2 * MIN });
    expect(find(b, 'gpu.pcie.replay.rate')).toEqual([]);
    const c = run({ snapshot: many(5160) }, { prev: b.state, now: T0 + 4 * MIN });
    expect(find(c, 'gpu.pcie.replay.rate')).toMatchObject([
      { component: 'gpu:0', severity: 'warn', evidence: 'replays 5000 -> 5160' },
    ]);
  });
});

describe('memory errors', () => {
  it('volatile DBE → gpu.ecc.dbe degraded/reset-gpu; pending remap → gpu.rowremap.pending; reset flag → recovery', () => {
    const r = run({ snapshot: parseSmiXml(fx('a100-2gpu-dbe-rowremap-pending.xml')) });
    expect(find(r, 'gpu.ecc.dbe')).toMatchObject([
      {
        component: 'gpu:1',
        severity: 'degraded',
        action: 'reset-gpu',
        evidence: 'volatile DBE=2 DRAM=2 SRAM=0 aggregate DBE=2',
      },
    ]);
    expect(find(r, 'gpu.rowremap.pending')).toMatchObject([
      { component: 'gpu:1', severity: 'degraded', action: 'reset-gpu' },
    ]);
    expect(find(r, 'gpu.recovery_action')).toMatchObject([
      { component: 'gpu:1', action: 'reset-gpu', evidence: 'Reset Required: Yes' },
    ]);
    expect(r.observations.every((o) => o.component === 'gpu:1')).toBe(true);
  });

  it('row-remap failure → fatal/drain; recovery action follows the flag', () => {
    const r = run({ snapshot: parseSmiXml(fx('h100-8gpu-rowremap-failure.xml')) });
    expect(find(r, 'gpu.rowremap.failure')).toMatchObject([{ component: 'gpu:5', severity: 'fatal', action: 'drain' }]);
    expect(find(r, 'gpu.recovery_action')).toMatchObject([
      { component: 'gpu:5', action: 'drain', evidence: 'gpu_recovery_action=Drain and Reset' },
    ]);
    const reboot = withGpu(0, (g) => {
      g.recoveryAction = 'Reboot';
    });
    expect(find(run({ snapshot: reboot }), 'gpu.recovery_action')).toMatchObject([
      { severity: 'fatal', action: 'reboot' },
    ]);
  });

  it('old-layout V100: pending retirement, not a DBE (volatile is 0)', () => {
    const r = run({ snapshot: parseSmiXml(fx('v100-retired-pages-pending.xml')) });
    expect(codes(r)).toEqual(['gpu.retired_pages.pending']);
  });

  it('retired pages at the limit → gpu.retired_pages.limit', () => {
    const snap = withGpu(1, (g) => {
      g.retiredPages = { sbe: 40, dbe: 21, pending: false };
    });
    expect(find(run({ snapshot: snap }), 'gpu.retired_pages.limit')).toMatchObject([
      { component: 'gpu:1', evidence: 'retired pages SBE=40 DBE=21' },
    ]);
    expect(find(run({ snapshot: snap }, { settings: { retiredPagesLimit: 62 } }), 'gpu.retired_pages.limit')).toEqual(
      [],
    );
  });

  it('SBE rate: an increase over the window warns, a counter reset does not, a snapshot never does', () => {
    const sbe = (n: number) => withGpu(3, (g) => Object.assign(g.ecc.volatile, { sbe: n }));
    const a = run({ snapshot: sbe(2) });
    const b = run({ snapshot: sbe(14) }, { prev: a.state, now: T0 + 20 * MIN });
    expect(find(b, 'gpu.ecc.sbe.rate')).toMatchObject([{ component: 'gpu:3', severity: 'warn' }]);
    const afterReset = run({ snapshot: sbe(1) }, { prev: b.state, now: T0 + 21 * MIN });
    expect(find(afterReset, 'gpu.ecc.sbe.rate')).toEqual([]);
    expect(find(run({ snapshot: sbe(500) }, { mode: 'snapshot' }), 'gpu.ecc.sbe.rate')).toEqual([]);
  });

  it('partial -q -d PAGE_RETIREMENT output is judged for what it shows', () => {
    const r = run({ snapshot: parseSmiText(fx('v100-8gpu-q-d-page-retirement.txt')) }, { mode: 'snapshot' });
    expect(r.observations.map((o) => [o.code, o.component])).toEqual([['gpu.retired_pages.pending', 'gpu:4']]);
  });
});

describe('temperature', () => {
  it('warns within the margin of slowdown: T.Limit margins and absolute thresholds', () => {
    const r = run({ snapshot: parseSmiXml(fx('h100-8gpu-thermal-pcie.xml')) }, { mode: 'snapshot' });
    expect(find(r, 'gpu.temperature.high')).toMatchObject([
      { component: 'gpu:6', severity: 'warn', evidence: 'T.Limit margin 1 C, slowdown at T.Limit margin -2 C' },
    ]);
    const text = run({ snapshot: parseSmiText(fx('a100-4gpu-q-legacy-faulty.txt')) }, { mode: 'snapshot' });
    expect(find(text, 'gpu.temperature.high')).toMatchObject([
      { component: 'gpu:2', evidence: 'GPU 87 C, slowdown at 89 C' },
    ]);
    expect(find(run({ snapshot: healthy() }, { settings: { temperatureMarginC: 0 } }), 'gpu.temperature.high')).toEqual(
      [],
    );
  });
});

describe('GPU count', () => {
  const seven = () => {
    const s = healthy();
    s.gpus.splice(3, 1);
    return s;
  };

  it('expectedCount makes a short list gpu.missing (fatal, drain)', () => {
    expect(find(run({ snapshot: seven() }, { settings: { expectedCount: 8 } }), 'gpu.missing')).toMatchObject([
      { component: 'host', severity: 'fatal', action: 'drain' },
    ]);
  });

  it('live, the PCI bus is the expectation and names the absent device', () => {
    const pci = healthy().gpus.map((g) => g.busId!);
    const [m] = find(run({ snapshot: seven(), pciGpus: pci }), 'gpu.missing');
    expect(m?.evidence).toBe('nvidia-smi: 7 GPU(s), expected 8; absent: 00000000:5D:00.0');
  });

  it('a capture alone (attached_gpus larger than the <gpu> list) is not gpu.missing', () => {
    const s = seven();
    s.attachedGpus = 16;
    expect(find(run({ snapshot: s }, { mode: 'snapshot' }), 'gpu.missing')).toEqual([]);
    expect(
      find(run({ snapshot: s, pciGpus: healthy().gpus.map((g) => g.busId!) }, { mode: 'snapshot' }), 'gpu.missing'),
    ).toEqual([]);
  });
});

describe('nvidia-smi failures and messages', () => {
  it('maps a missing, hung or failing nvidia-smi to distinct codes', () => {
    expect(
      run({ failure: { kind: 'missing', detail: 'nvidia-smi is not installed' }, pciGpus: ['00000000:18:00.0'] })
        .observations,
    ).toMatchObject([{ code: 'gpu.smi.missing', component: 'host', severity: 'degraded' }]);
    expect(codes(run({ failure: { kind: 'timeout', detail: 'nvidia-smi did not finish within 12000 ms' } }))).toEqual([
      'gpu.smi.timeout',
    ]);
    expect(codes(run({ failure: { kind: 'failed', detail: 'nvidia-smi exited 9' } }))).toEqual(['gpu.smi.failed']);
  });

  it.each([
    ['error-no-devices.txt', 'gpu.smi.no_devices', 'host', 'fatal'],
    ['error-handle-unknown-error.txt', 'gpu.smi.lost', 'gpu:00000000:9A:00.0', 'fatal'],
    ['error-gpu-lost-reboot.txt', 'gpu.smi.lost', 'gpu:00000000:CB:00.0', 'fatal'],
    ['error-nvml-version-mismatch.txt', 'gpu.smi.nvml_init', 'driver', 'fatal'],
    ['error-driver-not-loaded.txt', 'gpu.smi.nvml_init', 'driver', 'fatal'],
  ])('%s → %s on %s', (file, code, component, severity) => {
    const text = fx(file);
    const r = run({ issues: scanSmiIssues(text), failure: { kind: 'failed', detail: 'exit 9' } });
    expect(r.observations).toMatchObject([{ code, component, severity }]);
  });

  it('files a lost GPU under its index when the snapshot still lists it', () => {
    const issues = scanSmiIssues('Unable to determine the device handle for GPU0000:9A:00.0: Unknown Error');
    expect(find(run({ snapshot: healthy(), issues }), 'gpu.smi.lost')).toMatchObject([{ component: 'gpu:4' }]);
  });

  it('files an infoROM warning under the GPU it names', () => {
    const issues = scanSmiIssues(fx('error-inforom-stderr.txt'));
    expect(find(run({ snapshot: healthy(), issues }), 'gpu.inforom.corrupted')).toMatchObject([
      { component: 'gpu:2', severity: 'warn' },
    ]);
  });

  it('reports unreadable fields', () => {
    const r = run({ snapshot: parseSmiCsv(fx('v100-4gpu-query-legacy-faulty.csv')) }, { mode: 'snapshot' });
    expect(find(r, 'gpu.smi.field_error')).toMatchObject([
      { component: 'gpu:3', evidence: 'temperature.gpu=[Unknown Error]; power.draw=[Unknown Error]' },
    ]);
    expect(find(r, 'gpu.ecc.dbe')).toMatchObject([{ component: 'gpu:1' }]);
    expect(find(r, 'gpu.retired_pages.pending')).toMatchObject([{ component: 'gpu:1' }]);
    // GPU 2 is throttled and at Gen2 while busy; GPU 1 is idle so its link is not judged.
    expect(find(r, 'gpu.pcie.downtrained').map((o) => o.component)).toEqual(['gpu:2']);
  });
});

describe('NVLink', () => {
  it('some links down on a GPU → gpu.nvlink.inactive with the link lines as evidence', () => {
    const r = run({ nvlink: parseNvlinkStatus(fx('h100-8gpu-nvlink-two-inactive.txt')) });
    const [o] = find(r, 'gpu.nvlink.inactive');
    expect(find(r, 'gpu.nvlink.inactive')).toHaveLength(1);
    expect(o).toMatchObject({ component: 'gpu:2', severity: 'degraded', action: 'reboot' });
    expect(o?.evidence).toContain('Link 7: <inactive>; Link 12: <inactive>');
  });

  it('all links down on an SXM/HBM part, or where peers have links, is a finding', () => {
    const r = run({ nvlink: parseNvlinkStatus(fx('h100-8gpu-nvlink-gpu4-all-inactive.txt')) });
    expect(find(r, 'gpu.nvlink.inactive')).toMatchObject([{ component: 'gpu:4' }]);
  });

  it('all links down on a lone PCIe card is not, unless the setting says NVLink is expected', () => {
    const lone = parseNvlinkStatus(
      'GPU 0: NVIDIA L40S (UUID: GPU-1)\nNVML: Unable to retrieve NVLink information as all links are inactive\n',
    );
    expect(codes(run({ nvlink: lone }))).toEqual([]);
    expect(codes(run({ nvlink: lone }, { settings: { expectNvlink: true } }))).toEqual(['gpu.nvlink.inactive']);
  });

  it('"Device does not have or support Nvlink" is unsupported, not faulty', () => {
    const r = run(
      { nvlink: parseNvlinkStatus(fx('l4-2gpu-nvlink-unsupported.txt')) },
      { settings: { expectNvlink: true } },
    );
    expect(codes(r)).toEqual([]);
  });
});

describe('configuration rules', () => {
  it('persistence off warns unless not required', () => {
    const snap = parseSmiXml(fx('h100-1gpu-idle-gen1.xml'));
    expect(run({ snapshot: snap }).observations).toMatchObject([
      { code: 'gpu.persistence.off', severity: 'warn', action: 'none' },
    ]);
    expect(codes(run({ snapshot: snap }, { settings: { persistenceRequired: false } }))).toEqual([]);
  });

  it('MIG mode must match expectedMig when set', () => {
    expect(
      find(run({ snapshot: healthy() }, { settings: { expectedMig: 'enabled' } }), 'gpu.mig.mismatch'),
    ).toHaveLength(8);
    expect(find(run({ snapshot: healthy() }, { settings: { expectedMig: 'disabled' } }), 'gpu.mig.mismatch')).toEqual(
      [],
    );
    const partial = parseSmiText(fx('v100-8gpu-q-d-page-retirement.txt'));
    expect(find(run({ snapshot: partial }, { settings: { expectedMig: 'enabled' } }), 'gpu.mig.mismatch')).toEqual([]);
  });

  it('fabric registration without Success → gpu.fabric.unhealthy', () => {
    const snap = withGpu(7, (g) => {
      g.fabric = { state: 'Completed', status: 'Failure' };
    });
    expect(find(run({ snapshot: snap }), 'gpu.fabric.unhealthy')).toMatchObject([
      { component: 'gpu:7', severity: 'degraded' },
    ]);
  });

  it('settings are validated with the key named', () => {
    expect(() => parseGpuSettings({ throttleMinSamples: 1 })).toThrow(/throttleMinSamples/);
    expect(() => parseGpuSettings({ expectedCuont: 8 })).toThrow(/CONFIG|expectedCuont|Unrecognized/i);
    expect(parseGpuSettings({ expectedCount: 8 }).expectedCount).toBe(8);
  });
});

describe('state and metrics', () => {
  it('keeps history through a failed run', () => {
    const a = run({ snapshot: healthy() });
    const b = run({ failure: { kind: 'timeout', detail: 'x' } }, { prev: a.state });
    expect(b.state).toEqual(a.state);
  });

  it('exports per-GPU samples labelled by gpu index', () => {
    const m = run({ snapshot: healthy() }).metrics;
    expect(m.find((s) => s.name === 'gpu_count')?.value).toBe(8);
    const temp = m.filter((s) => s.name === 'gpu_temperature_celsius');
    expect(temp).toHaveLength(8);
    expect(temp[2]).toEqual({ name: 'gpu_temperature_celsius', value: 60, labels: { gpu: '2' } });
    expect(m.find((s) => s.name === 'gpu_utilization_ratio')?.value).toBe(0.97);
    expect(m.find((s) => s.name === 'gpu_memory_used_bytes')?.value).toBe(71234 * 1024 * 1024);
    expect(m.filter((s) => s.name === 'gpu_ecc_dbe_volatile_total')).toHaveLength(8);
  });
});

describe('gpu samples for the dashboard', () => {
  it('export PCIe link, remapped rows and throttle state per GPU', async () => {
    const { readFileSync } = await import('node:fs');
    const { parseSmiXml } = await import('./parse.ts');
    const { gpuMetrics } = await import('./rules.ts');
    const snap = parseSmiXml(
      readFileSync(new URL('../../test/fixtures/gpu/h100-8gpu-rowremap-failure.xml', import.meta.url), 'utf8'),
    );
    const m = gpuMetrics(snap);
    const names = new Set(m.map((s) => s.name));
    for (const n of [
      'gpu_pcie_gen_current',
      'gpu_pcie_width_max',
      'gpu_remapped_rows_failure',
      'gpu_throttle_hw_slowdown',
    ]) {
      expect(names.has(n), n).toBe(true);
    }
    expect(m.some((s) => s.name === 'gpu_remapped_rows_failure' && s.value === 1)).toBe(true);
  });
});
