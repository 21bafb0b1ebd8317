/**
 * `keelson analyze` support for NVMe captures: nvme-cli `smart-log -o json` and `list -o json`,
 * and smartctl JSON (`-j -a` reports and `--scan -j`). A single capture has no previous
 * reading, so media errors on record are judged as a snapshot (warn).
 */
import type { Observation } from '../../core/finding.ts';
import type { TextAnalyzer } from '../analyzer.ts';
import { parseJsonObject } from './json-fields.ts';
import { parseNvmeList, parseSmartLog } from './parse.ts';
import { isSmartctlScan, parseSmartctlJson, parseSmartctlScan } from './parse-smartctl.ts';
import { evaluateSmartHealth } from './rules.ts';

/** `nvme0` from `/dev/nvme0` or `/dev/nvme0n1`; `nvme` when unknown. */
function componentOf(device: string | undefined): string {
  const m = device ? /(nvme\d+)/.exec(device) : null;
  return m?.[1] ?? 'nvme';
}

const smartLogAnalyzer: TextAnalyzer = {
  kind: 'nvme-smart-log',
  description: 'nvme smart-log <dev> -o json (nvme-cli 1.x/2.x)',
  input: 'text',
  sniff: (head) =>
    head.trimStart().startsWith('{') &&
    head.includes('"critical_warning"') &&
    (head.includes('"avail_spare"') || head.includes('"percent_used"') || head.includes('"media_errors"')) &&
    !head.includes('"smartctl"'),
  analyze(text, now): Observation[] {
    return evaluateSmartHealth('nvme', parseSmartLog(text), undefined, now).observations;
  },
};

const listAnalyzer: TextAnalyzer = {
  kind: 'nvme-list',
  description: 'nvme list -o json (flat 1.x layout or nested 2.x Subsystems layout)',
  input: 'text',
  sniff: (head) =>
    head.trimStart().startsWith('{') &&
    head.includes('"Devices"') &&
    (head.includes('"DevicePath"') || head.includes('"Subsystems"') || /"Devices"\s*:\s*\[\s*\]/.test(head)),
  analyze(text): Observation[] {
    // The list names devices; it carries no health. Parsing proves the capture is well formed.
    parseNvmeList(text);
    return [];
  },
};

const smartctlAnalyzer: TextAnalyzer = {
  kind: 'smartctl-json',
  description: 'smartctl -j -a <dev> (NVMe health log) or smartctl --scan -j',
  input: 'text',
  sniff: (head) =>
    head.trimStart().startsWith('{') && head.includes('"smartctl"') && head.includes('"json_format_version"'),
  analyze(text, now): Observation[] {
    if (isSmartctlScan(parseJsonObject(text, 'smartctl -j'))) {
      parseSmartctlScan(text);
      return [];
    }
    const report = parseSmartctlJson(text);
    if (!report.health) return [];
    return evaluateSmartHealth(componentOf(report.device), report.health, undefined, now).observations;
  },
};

/** Analyzers for NVMe captures. */
export const nvmeAnalyzers: readonly TextAnalyzer[] = [smartLogAnalyzer, listAnalyzer, smartctlAnalyzer];
