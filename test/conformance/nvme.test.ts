/**
 * Conformance of the NVMe analyzers with real captures in ../shared/corpus/nvme: every file
 * there has a written-down expectation (which analyzer claims it, which finding codes it must
 * produce); a new corpus file without an entry fails the suite so it gets looked at.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { severityRank } from '../../core/finding.ts';
import { nvmeAnalyzers } from '../../probes/nvme/analyzers.ts';

const CORPUS = path.resolve(import.meta.dirname, '../../../shared/corpus/nvme');

interface Expectation {
  kind: 'nvme-list' | 'nvme-smart-log' | 'smartctl-json';
  /** Exactly these codes (sorted); empty for a healthy sample. */
  codes: string[];
  healthy: boolean;
}

const EXPECTED: Record<string, Expectation> = {
  'netdata_nvme-list-json_v2.11_3x-firecuda530.json': { kind: 'nvme-list', codes: [], healthy: true },
  'netdata_nvme-list-json_v2.3_2x-firecuda530.json': { kind: 'nvme-list', codes: [], healthy: true },
  // 30% used, 324 K = 51 °C, no media errors: healthy even though wearing.
  'netdata_nvme-smart-log-json_v2.11_healthy.json': { kind: 'nvme-smart-log', codes: [], healthy: true },
  'netdata_nvme-smart-log-json_v2.3_healthy.json': { kind: 'nvme-smart-log', codes: [], healthy: true },
  // 8382 error-log entries are command errors, not media errors: healthy.
  'scrutiny_smartctl-a-j_force-mp510_healthy.json': { kind: 'smartctl-json', codes: [], healthy: true },
  // Identity only (--info): no health log, nothing to judge.
  'scrutiny_smartctl-info-j_kioxia-cd6.json': { kind: 'smartctl-json', codes: [], healthy: true },
  // media_errors=7 in a single capture: on record, growth unknown -> warn.
  'scrutiny_smartctl-x-j_samsung970evo_media-errors.json': {
    kind: 'smartctl-json',
    codes: ['nvme.media_errors'],
    healthy: false,
  },
  'telegraf_smartctl-a-j_sabrent-rocket4_healthy.json': { kind: 'smartctl-json', codes: [], healthy: true },
  'telegraf_smartctl-scan-j.json': { kind: 'smartctl-json', codes: [], healthy: true },
};

const files = existsSync(CORPUS) ? readdirSync(CORPUS).filter((f) => f !== 'SOURCES.md') : [];

describe.skipIf(!existsSync(CORPUS))('nvme corpus conformance', () => {
  it('has an expectation for every corpus file (and a file for every expectation)', () => {
    expect(files.filter((f) => !(f in EXPECTED))).toEqual([]);
    expect(Object.keys(EXPECTED).filter((f) => !files.includes(f))).toEqual([]);
  });

  it.each(files)('%s', (file) => {
    const exp = EXPECTED[file];
    expect(exp, `no expectation written down for corpus file ${file}`).toBeDefined();
    if (!exp) return;
    const text = readFileSync(path.join(CORPUS, file), 'utf8');
    const claimed = nvmeAnalyzers.filter((a) => a.sniff(text.slice(0, 65536)));
    expect(claimed.map((a) => a.kind)).toEqual([exp.kind]);
    const obs = claimed[0]?.analyze(text, Date.parse('2024-06-01T00:00:00Z')) ?? [];
    expect([...new Set(obs.map((o) => o.code))].sort()).toEqual(exp.codes);
    if (exp.healthy) {
      expect(obs.filter((o) => severityRank(o.severity) >= severityRank('degraded'))).toEqual([]);
    }
  });

  it('the media-error sample names the device and judges the snapshot as warn', () => {
    const file = 'scrutiny_smartctl-x-j_samsung970evo_media-errors.json';
    const text = readFileSync(path.join(CORPUS, file), 'utf8');
    const a = nvmeAnalyzers.find((x) => x.kind === 'smartctl-json');
    const [o] = a?.analyze(text, 0) ?? [];
    expect(o?.component).toBe('nvme0');
    expect(o?.severity).toBe('warn');
    expect(o?.evidence).toBe('media_errors=7');
  });
});
