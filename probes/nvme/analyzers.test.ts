import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import type { TextAnalyzer } from '../analyzer.ts';
import { nvmeAnalyzers } from './analyzers.ts';

const fx = (name: string) => readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/nvme', name), 'utf8');

function pick(text: string): TextAnalyzer[] {
  return nvmeAnalyzers.filter((a) => a.sniff(text.slice(0, 65536)));
}

const cases: [file: string, kind: string, codes: string[]][] = [
  ['nvmecli1-list-flat_2x-pm9a3.json', 'nvme-list', []],
  ['nvmecli2-list-nested_dgx-h100-3x.json', 'nvme-list', []],
  ['nvmecli-list_no-devices.json', 'nvme-list', []],
  ['nvmecli1-smart-log_pm9a3_healthy.json', 'nvme-smart-log', []],
  ['nvmecli2-smart-log_pm1733_worn-85pct.json', 'nvme-smart-log', ['nvme.wear']],
  [
    'nvmecli2-smart-log_micron7450_critical-ro.json',
    'nvme-smart-log',
    ['nvme.critical_warning', 'nvme.media_errors', 'nvme.spare'],
  ],
  [
    'nvmecli1-smart-log_pm983_hot-worn-out.json',
    'nvme-smart-log',
    ['nvme.critical_warning', 'nvme.wear', 'nvme.temperature'],
  ],
  ['smartctl-a-j_pm9a3_healthy.json', 'smartctl-json', []],
  [
    'smartctl-a-j_micron7450_reliability-degraded.json',
    'smartctl-json',
    ['nvme.critical_warning', 'nvme.media_errors'],
  ],
  ['smartctl-a-j_open-failed.json', 'smartctl-json', []],
  ['smartctl-scan-j_2x-nvme.json', 'smartctl-json', []],
  ['smartctl-scan-j_no-devices.json', 'smartctl-json', []],
];

describe('nvmeAnalyzers', () => {
  it.each(cases)('%s is recognised as %s and gives %j', (file, kind, codes) => {
    const text = fx(file);
    const matched = pick(text);
    expect(matched.map((a) => a.kind)).toEqual([kind]);
    const obs = matched[0]?.analyze(text, 1_700_000_000_000) ?? [];
    expect(obs.map((o) => o.code).sort()).toEqual([...codes].sort());
  });

  it('names the smartctl device as the component', () => {
    const a = nvmeAnalyzers.find((x) => x.kind === 'smartctl-json');
    const obs = a?.analyze(fx('smartctl-a-j_micron7450_reliability-degraded.json'), 0) ?? [];
    expect(new Set(obs.map((o) => o.component))).toEqual(new Set(['nvme1']));
    expect(obs.find((o) => o.code === 'nvme.critical_warning')?.severity).toBe('fatal');
  });

  it('does not claim unrelated text, and analyze throws only PARSE_FAILED on garbage', () => {
    expect(pick('Mon Jan 20 10:18:26 2025\n| NVIDIA-SMI 550.90.07 |')).toEqual([]);
    for (const a of nvmeAnalyzers) {
      let err: unknown;
      try {
        a.analyze('{"Devices": 3, "critical_warning": null, "smartctl": 1}', 0);
      } catch (e) {
        err = e;
      }
      expect(err === undefined || isKeelsonError(err, 'PARSE_FAILED')).toBe(true);
    }
  });
});
