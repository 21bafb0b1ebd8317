import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import type { TextAnalyzer } from '../analyzer.ts';
import { gpuAnalyzers } from './analyzers.ts';

const dir = path.resolve(import.meta.dirname, '../../test/fixtures/gpu');
const fx = (n: string) => readFileSync(path.join(dir, n), 'utf8');
const text = gpuAnalyzers.filter((a): a is TextAnalyzer => a.input === 'text');
const NOW = Date.UTC(2025, 2, 11);

/** fixture → [analyzer kind, codes (sorted, unique)] */
const EXPECT: Record<string, [string, string[]]> = {
  'a100-2gpu-dbe-rowremap-pending.xml': [
    'nvidia-smi-xml',
    ['gpu.ecc.dbe', 'gpu.recovery_action', 'gpu.rowremap.pending'],
  ],
  'a100-4gpu-q-legacy-faulty.txt': [
    'nvidia-smi-q',
    [
      'gpu.ecc.dbe',
      'gpu.pcie.downtrained',
      'gpu.rowremap.pending',
      'gpu.temperature.high',
      'gpu.throttle.hw_slowdown',
      'gpu.throttle.hw_thermal',
      'gpu.throttle.sw_thermal',
    ],
  ],
  'error-driver-not-loaded.txt': ['nvidia-smi-table', ['gpu.smi.nvml_init']],
  'error-gpu-lost-reboot.txt': ['nvidia-smi-table', ['gpu.smi.lost']],
  'error-handle-unknown-error.txt': ['nvidia-smi-table', ['gpu.smi.lost']],
  'error-inforom-stderr.txt': ['nvidia-smi-table', ['gpu.inforom.corrupted']],
  'error-no-devices.txt': ['nvidia-smi-table', ['gpu.smi.no_devices']],
  'error-nvml-version-mismatch.txt': ['nvidia-smi-table', ['gpu.smi.nvml_init']],
  'h100-1gpu-idle-gen1.xml': ['nvidia-smi-xml', ['gpu.persistence.off']],
  'h100-4gpu-table-err-ecc.txt': ['nvidia-smi-table', ['gpu.ecc.dbe', 'gpu.smi.field_error']],
  'h100-8gpu-healthy.xml': ['nvidia-smi-xml', []],
  'h100-8gpu-nvlink-gpu4-all-inactive.txt': ['nvidia-smi-nvlink', ['gpu.nvlink.inactive']],
  'h100-8gpu-nvlink-two-inactive.txt': ['nvidia-smi-nvlink', ['gpu.nvlink.inactive']],
  'h100-8gpu-query-healthy.csv': ['nvidia-smi-csv', []],
  'h100-8gpu-rowremap-failure.xml': ['nvidia-smi-xml', ['gpu.recovery_action', 'gpu.rowremap.failure']],
  'h100-8gpu-thermal-pcie.xml': [
    'nvidia-smi-xml',
    ['gpu.pcie.downtrained', 'gpu.temperature.high', 'gpu.throttle.hw_slowdown', 'gpu.throttle.hw_thermal'],
  ],
  'l4-2gpu-nvlink-unsupported.txt': ['nvidia-smi-nvlink', []],
  'v100-4gpu-query-legacy-faulty.csv': [
    'nvidia-smi-csv',
    [
      'gpu.ecc.dbe',
      'gpu.pcie.downtrained',
      'gpu.retired_pages.pending',
      'gpu.smi.field_error',
      'gpu.throttle.hw_slowdown',
      'gpu.throttle.power_brake',
    ],
  ],
  'v100-8gpu-q-d-page-retirement.txt': ['nvidia-smi-q', ['gpu.retired_pages.pending']],
  'v100-retired-pages-pending.xml': ['nvidia-smi-xml', ['gpu.retired_pages.pending']],
};

describe('gpuAnalyzers', () => {
  it('offers the five nvidia-smi kinds', () => {
    expect(gpuAnalyzers.map((a) => a.kind)).toEqual([
      'nvidia-smi-xml',
      'nvidia-smi-q',
      'nvidia-smi-csv',
      'nvidia-smi-nvlink',
      'nvidia-smi-table',
    ]);
  });

  it('has an expectation for every fixture', () => {
    expect(readdirSync(dir).sort()).toEqual(Object.keys(EXPECT).sort());
  });

  for (const [file, [kind, codes]] of Object.entries(EXPECT)) {
    it(`${file} → ${kind || 'no analyzer'}: ${codes.join(', ') || 'nothing'}`, () => {
      const t = fx(file);
      const claimed = text.filter((a) => a.sniff(t.slice(0, 64 * 1024)));
      expect(claimed.map((a) => a.kind)).toEqual(kind ? [kind] : []);
      const obs = claimed[0]?.analyze(t, NOW) ?? [];
      expect([...new Set(obs.map((o) => o.code))].sort()).toEqual(codes);
    });
  }

  it("does not claim other tools' output", () => {
    const others = [
      '# gpu    pwr  gtemp  mtemp     sm    mem\n# Idx      W      C      C      %      %\n    0    631     63     57    100     10\n',
      'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1)\nGPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-2)\n',
      '[  12.3] NVRM: Xid (PCI:0000:9a:00): 79, pid=0, GPU has fallen off the bus.\n',
      "CA 'mlx5_0'\n\tCA type: MT4123\n",
    ];
    for (const t of others) expect(text.filter((a) => a.sniff(t)).map((a) => a.kind)).toEqual([]);
  });

  it('throws PARSE_FAILED (not anything else) on a claimed capture that turns out broken', () => {
    const xml = text.find((a) => a.kind === 'nvidia-smi-xml')!;
    try {
      xml.analyze('<nvidia_smi_log><gpu id="x"><serial>1</serial>', NOW);
      expect.unreachable();
    } catch (e) {
      expect(isKeelsonError(e, 'PARSE_FAILED')).toBe(true);
    }
  });

  it('judges a single capture with warn for windowed conditions', () => {
    const obs = text.find((a) => a.kind === 'nvidia-smi-xml')!.analyze(fx('h100-8gpu-thermal-pcie.xml'), NOW);
    const bySeverity = Object.fromEntries(obs.map((o) => [o.code, o.severity]));
    expect(bySeverity).toEqual({
      'gpu.throttle.hw_slowdown': 'warn',
      'gpu.throttle.hw_thermal': 'warn',
      'gpu.temperature.high': 'warn',
      'gpu.pcie.downtrained': 'warn',
    });
  });
});
