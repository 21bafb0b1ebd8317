/**
 * Conformance of the gpu analyzers against the real nvidia-smi captures in
 * ../shared/corpus/nvidia-smi (see its SOURCES.md). Every file must have an entry below: which
 * analyzer claims it (exactly one, or none for formats the gpu area does not judge) and the exact
 * set of finding codes it yields. Healthy samples must yield nothing degraded or fatal.
 *
 * Decisions behind the expectations:
 * - telegraf a100 MIG (attached_gpus=4, one <gpu>) and pai V100 (attached_gpus=16, one <gpu>) are
 *   trimmed "as committed"; attached_gpus is not an expectation, so no gpu.missing.
 * - h100x8_535.161.08: HW Slowdown + HW Power Brake active on all 8 GPUs in a single snapshot →
 *   gpu.throttle.hw_slowdown / gpu.throttle.power_brake as warn (live, the window decides).
 * - Persistence mode off (many cloud/test captures) is a warn, so those samples still count as healthy.
 * - PCIe Gen1 on idle GPUs (A10G, T4 at x8, TITAN V, RTX 4090, K80, RTX A5000) is exempt.
 * - PCIe replay counts of 43-120 in the gpud H100 files are lifetime counts; one capture has no rate.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { severityRank } from '../../core/finding.ts';
import type { TextAnalyzer } from '../../probes/analyzer.ts';
import { gpuAnalyzers } from '../../probes/gpu/analyzers.ts';
import { gpuCatalog } from '../../probes/gpu/catalog.ts';

const dir = path.resolve(import.meta.dirname, '../../../shared/corpus/nvidia-smi');
const NOW = Date.UTC(2025, 0, 1);

interface Expectation {
  /** Analyzer kind that must claim the file, or null when none may. */
  kind: string | null;
  codes: string[];
  healthy: boolean;
}

const EXPECT: Record<string, Expectation> = {
  'azdiag_nvidia-smi-nvlink-s_8x-v100_links-inactive_unverified.txt': {
    kind: 'nvidia-smi-nvlink',
    codes: ['gpu.nvlink.inactive'],
    healthy: false,
  },
  'azdiag_nvidia-smi-q_8x-a100-sxm4-40gb_460.32.03.txt': {
    kind: 'nvidia-smi-q',
    codes: ['gpu.persistence.off'],
    healthy: true,
  },
  'azdiag_nvidia-smi-table_8x-v100-sxm2_infoROM-corrupted.txt': {
    kind: 'nvidia-smi-table',
    codes: ['gpu.inforom.corrupted', 'gpu.persistence.off'],
    healthy: false,
  },
  'azhpc_nvidia-smi-nvlink-s_a100_all-links-inactive.txt': {
    kind: 'nvidia-smi-nvlink',
    codes: ['gpu.nvlink.inactive'],
    healthy: false,
  },
  'azhpc_nvidia-smi-nvlink-s_a100_healthy.txt': { kind: 'nvidia-smi-nvlink', codes: [], healthy: true },
  'azhpc_nvidia-smi-q-d-page-retirement_8gpu_FAULTY_unverified.txt': {
    kind: 'nvidia-smi-q',
    codes: ['gpu.retired_pages.pending', 'gpu.retired_pages.limit'],
    healthy: false,
  },
  'azhpc_nvidia-smi-q-d-page-retirement_8gpu_healthy.txt': { kind: 'nvidia-smi-q', codes: [], healthy: true },
  'gpud_nvidia-smi-nvlink-s_a100x8.txt': { kind: 'nvidia-smi-nvlink', codes: [], healthy: true },
  'gpud_nvidia-smi-q_a10_535.129.03.txt': { kind: 'nvidia-smi-q', codes: ['gpu.rowremap.pending'], healthy: false },
  'gpud_nvidia-smi-q_h100x8_535.161.08.txt': {
    kind: 'nvidia-smi-q',
    codes: ['gpu.throttle.hw_slowdown', 'gpu.throttle.power_brake'],
    healthy: true,
  },
  'gpud_nvidia-smi-q_h100x8_535.183.01.txt': {
    kind: 'nvidia-smi-q',
    codes: ['gpu.throttle.power_brake', 'gpu.throttle.sw_thermal'],
    healthy: true,
  },
  'gpud_nvidia-smi-q_rtx4090x8_535.154.05.txt': { kind: 'nvidia-smi-q', codes: [], healthy: true },
  'gpud_nvidia-smi-q_titanv_560.35.03.txt': { kind: 'nvidia-smi-q', codes: ['gpu.persistence.off'], healthy: true },
  'gpud_nvidia-smi-table_geforce_525.125.06_fan-ERR.txt': {
    kind: 'nvidia-smi-table',
    codes: ['gpu.smi.field_error', 'gpu.persistence.off'],
    healthy: false,
  },
  'gpud_nvidia-smi-table_h100x8_550.90.07.txt': { kind: 'nvidia-smi-table', codes: [], healthy: true },
  'netdata_nvidia-smi-q-x_tesla-p100-pcie_510.47.03_sbe3.xml': {
    kind: 'nvidia-smi-xml',
    codes: ['gpu.persistence.off'],
    healthy: true,
  },
  'pai_nvidia-smi-q-x_4x-tesla-k80_430.26.xml': {
    kind: 'nvidia-smi-xml',
    codes: ['gpu.persistence.off'],
    healthy: true,
  },
  'pai_nvidia-smi-q-x_v100-sxm3_ecc-dbe_retired-pages_FAULTY.xml': {
    kind: 'nvidia-smi-xml',
    codes: ['gpu.ecc.dbe', 'gpu.retired_pages.pending'],
    healthy: false,
  },
  'telegraf_nvidia-smi-q-x_2x-rtx-a5000_590.44.01_v13.xml': { kind: 'nvidia-smi-xml', codes: [], healthy: true },
  'telegraf_nvidia-smi-q-x_a100-sxm4-80gb_mig_535.54.03.xml': {
    kind: 'nvidia-smi-xml',
    codes: ['gpu.persistence.off'],
    healthy: true,
  },
  'telegraf_nvidia-smi-q-x_a10g_515.105.01.xml': {
    kind: 'nvidia-smi-xml',
    codes: ['gpu.persistence.off'],
    healthy: true,
  },
  'telegraf_nvidia-smi-q-x_tesla-t4_515.105.01.xml': {
    kind: 'nvidia-smi-xml',
    codes: ['gpu.persistence.off'],
    healthy: true,
  },
  'thamada_nvidia-smi-a_a100-sxm4x4_555.42.02_row-remap-pending.txt': {
    kind: 'nvidia-smi-q',
    codes: ['gpu.rowremap.pending'],
    healthy: false,
  },
  'thamada_nvidia-smi-table_a100-sxm4x4_555.42.02.txt': { kind: 'nvidia-smi-table', codes: [], healthy: true },
  'ugpe_nvidia-smi-dmon_h100_load.txt': { kind: null, codes: [], healthy: true },
  'ugpe_nvidia-smi-nvlink-s_h100.txt': { kind: 'nvidia-smi-nvlink', codes: [], healthy: true },
  'ugpe_nvidia-smi-nvlink-s_l40s_unsupported.txt': { kind: 'nvidia-smi-nvlink', codes: [], healthy: true },
  'ugpe_nvidia-smi-q_h100_590.48.01_load.txt': { kind: 'nvidia-smi-q', codes: [], healthy: true },
  'ugpe_nvidia-smi-table_h100-mig_load.txt': { kind: 'nvidia-smi-table', codes: [], healthy: true },
  'ugpe_nvidia-smi-topo-m_h100_1gpu.txt': { kind: null, codes: [], healthy: true },
  'ugpe_query-gpu_h100_590.48.01_load.csv': { kind: 'nvidia-smi-csv', codes: [], healthy: true },
  'ugpe_query-gpu_h200_590.48.01_load.csv': { kind: 'nvidia-smi-csv', codes: [], healthy: true },
  'ugpe_query-gpu_l40s_595.80_load.csv': { kind: 'nvidia-smi-csv', codes: ['gpu.persistence.off'], healthy: true },
};

const textAnalyzers = gpuAnalyzers.filter((a): a is TextAnalyzer => a.input === 'text');
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f !== 'SOURCES.md' && !f.startsWith('.')) : [];
const catalogCodes = new Set<string>(gpuCatalog.map((c) => c.code));

describe.skipIf(!existsSync(dir))('gpu conformance: corpus/nvidia-smi', () => {
  it('has an expectation for every corpus file and a file for every expectation', () => {
    expect(files.filter((f) => !(f in EXPECT))).toEqual([]);
    expect(Object.keys(EXPECT).filter((f) => !files.includes(f))).toEqual([]);
  });

  for (const file of files) {
    it(file, () => {
      const want = EXPECT[file];
      expect(want, `no expectation written for ${file}`).toBeDefined();
      if (!want) return;
      const text = readFileSync(path.join(dir, file), 'utf8');
      const claimed = textAnalyzers.filter((a) => a.sniff(text.slice(0, 64 * 1024)));
      expect(claimed.map((a) => a.kind)).toEqual(want.kind === null ? [] : [want.kind]);
      const analyzer = claimed[0];
      const observations = analyzer ? analyzer.analyze(text, NOW) : [];
      expect([...new Set(observations.map((o) => o.code))].sort()).toEqual([...want.codes].sort());
      for (const o of observations) {
        expect(catalogCodes.has(o.code)).toBe(true);
        expect(o.evidence.length).toBeGreaterThan(0);
      }
      if (want.healthy) {
        const bad = observations.filter((o) => severityRank(o.severity) >= severityRank('degraded'));
        expect(bad).toEqual([]);
      } else {
        expect(observations.some((o) => severityRank(o.severity) >= severityRank('warn'))).toBe(true);
      }
    });
  }

  // Where the finding lands matters as much as which code it is: the right GPU gets reset.
  const COMPONENTS: Record<string, Record<string, string[]>> = {
    'azdiag_nvidia-smi-nvlink-s_8x-v100_links-inactive_unverified.txt': {
      'gpu.nvlink.inactive': ['gpu:3', 'gpu:4', 'gpu:5', 'gpu:6'],
    },
    'azdiag_nvidia-smi-table_8x-v100-sxm2_infoROM-corrupted.txt': { 'gpu.inforom.corrupted': ['gpu:7'] },
    'azhpc_nvidia-smi-nvlink-s_a100_all-links-inactive.txt': { 'gpu.nvlink.inactive': ['gpu:6'] },
    'azhpc_nvidia-smi-q-d-page-retirement_8gpu_FAULTY_unverified.txt': {
      'gpu.retired_pages.pending': ['gpu:1', 'gpu:3', 'gpu:5', 'gpu:7'],
    },
    'gpud_nvidia-smi-q_a10_535.129.03.txt': { 'gpu.rowremap.pending': ['gpu:0'] },
    'gpud_nvidia-smi-q_h100x8_535.161.08.txt': {
      'gpu.throttle.hw_slowdown': ['gpu:0', 'gpu:1', 'gpu:2', 'gpu:3', 'gpu:4', 'gpu:5', 'gpu:6', 'gpu:7'],
    },
    'gpud_nvidia-smi-table_geforce_525.125.06_fan-ERR.txt': { 'gpu.smi.field_error': ['gpu:0'] },
    'pai_nvidia-smi-q-x_v100-sxm3_ecc-dbe_retired-pages_FAULTY.xml': {
      'gpu.ecc.dbe': ['gpu:0'],
      'gpu.retired_pages.pending': ['gpu:0'],
    },
    'thamada_nvidia-smi-a_a100-sxm4x4_555.42.02_row-remap-pending.txt': { 'gpu.rowremap.pending': ['gpu:1'] },
  };
  for (const [file, byCode] of Object.entries(COMPONENTS)) {
    it.skipIf(!files.includes(file))(`${file} files findings under the right GPUs`, () => {
      const text = readFileSync(path.join(dir, file), 'utf8');
      const analyzer = textAnalyzers.find((a) => a.sniff(text));
      const observations = analyzer?.analyze(text, NOW) ?? [];
      for (const [code, components] of Object.entries(byCode)) {
        const got = observations.filter((o) => o.code === code).map((o) => o.component);
        expect([...new Set(got)].sort()).toEqual([...components].sort());
      }
    });
  }

  it('reports single-snapshot throttling as warn, never degraded (h100x8_535.161.08)', () => {
    const file = 'gpud_nvidia-smi-q_h100x8_535.161.08.txt';
    if (!files.includes(file)) return;
    const text = readFileSync(path.join(dir, file), 'utf8');
    const obs = textAnalyzers.find((a) => a.sniff(text))?.analyze(text, NOW) ?? [];
    const throttles = obs.filter((o) => o.code.startsWith('gpu.throttle.'));
    expect(throttles).toHaveLength(16);
    expect(new Set(throttles.map((o) => o.severity))).toEqual(new Set(['warn']));
  });
});
