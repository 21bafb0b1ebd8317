/**
 * `keelson analyze` for nvidia-smi captures: XML (`-q -x`), text (`-q`, `-a`, `-q -d ...`),
 * `--query-gpu` CSV, `nvlink -s` and the default table (which also takes the bare error texts the
 * default invocation prints, e.g. "No devices were found"). A capture is one snapshot, judged with
 * the live rules in `snapshot` mode and default settings: no GPU count is expected (a capture's
 * `attached_gpus` is not an expectation, see rules.ts), windowed conditions seen once are warn,
 * and counter rates are not judged.
 */
import { isKeelsonError } from '../../core/errors.ts';
import type { Observation } from '../../core/finding.ts';
import type { Analyzer, TextAnalyzer } from '../analyzer.ts';
import { isQueryCsvHeader, parseSmiCsv } from './parse-csv.ts';
import { scanSmiIssues } from './parse-errors.ts';
import { type NvlinkReport, parseNvlinkStatus } from './parse-nvlink.ts';
import { parseSmiTable } from './parse-table.ts';
import { parseSmiText } from './parse-text.ts';
import { parseSmiXml } from './parse-xml.ts';
import type { GpuSnapshot } from './record.ts';
import { evaluateGpu } from './rules.ts';
import { DEFAULT_GPU_SETTINGS } from './settings.ts';

const XML_MARK = /<nvidia_smi_log[\s>]/;
const TEXT_MARK = /={5,}\s*NVSMI LOG\s*={5,}/;
const TABLE_MARK = /\|\s*NVIDIA-SMI\s+\d/;
const ERROR_ONLY =
  /^\s*(?:No devices were found|Failed to initialize NVML|NVIDIA-SMI has failed because|Unable to determine the device handle|WARNING: infoROM is corrupted)/m;

function judge(
  snapshot: GpuSnapshot | undefined,
  nvlink: NvlinkReport | undefined,
  text: string,
  now: number,
): Observation[] {
  const input = { issues: scanSmiIssues(text), ...(snapshot ? { snapshot } : {}), ...(nvlink ? { nvlink } : {}) };
  return evaluateGpu(input, undefined, now, DEFAULT_GPU_SETTINGS, 'snapshot').observations;
}

/** Parse, judge; when the text does not parse but nvidia-smi printed a known error, judge that. */
function analyzeSnapshot(parse: (t: string) => GpuSnapshot) {
  return (text: string, now: number): Observation[] => {
    let snapshot: GpuSnapshot;
    try {
      snapshot = parse(text);
    } catch (e) {
      if (isKeelsonError(e, 'PARSE_FAILED') && scanSmiIssues(text).length > 0)
        return judge(undefined, undefined, text, now);
      throw e;
    }
    return judge(snapshot, undefined, text, now);
  };
}

const firstLine = (head: string) => head.split('\n').find((l) => l.trim() !== '') ?? '';

const xmlAnalyzer: TextAnalyzer = {
  kind: 'nvidia-smi-xml',
  description: 'nvidia-smi -q -x (XML, DTD v10-v13)',
  input: 'text',
  sniff: (head) => XML_MARK.test(head),
  analyze: analyzeSnapshot(parseSmiXml),
};

const textAnalyzer: TextAnalyzer = {
  kind: 'nvidia-smi-q',
  description: 'nvidia-smi -q / -a text, also partial -q -d <SECTION>',
  input: 'text',
  sniff: (head) => TEXT_MARK.test(head) && !XML_MARK.test(head),
  analyze: analyzeSnapshot(parseSmiText),
};

const csvAnalyzer: TextAnalyzer = {
  kind: 'nvidia-smi-csv',
  description: 'nvidia-smi --query-gpu=... --format=csv (with header row)',
  input: 'text',
  sniff: (head) => isQueryCsvHeader(firstLine(head)),
  analyze: analyzeSnapshot((t) => parseSmiCsv(t)),
};

const nvlinkAnalyzer: TextAnalyzer = {
  kind: 'nvidia-smi-nvlink',
  description: 'nvidia-smi nvlink -s (link status per GPU)',
  input: 'text',
  sniff: (head) =>
    /^GPU \d+: .*\(UUID: /m.test(head) &&
    /^\s*Link \d+: |all links are inactive|does not have or support nvlink/im.test(head) &&
    !TABLE_MARK.test(head),
  analyze(text, now) {
    return judge(undefined, parseNvlinkStatus(text), text, now);
  },
};

const tableAnalyzer: TextAnalyzer = {
  kind: 'nvidia-smi-table',
  description:
    'default nvidia-smi table (ERR! cells, infoROM warnings, ECC, GPU count) and bare nvidia-smi error texts',
  input: 'text',
  sniff: (head) => TABLE_MARK.test(head) || (ERROR_ONLY.test(head) && !XML_MARK.test(head) && !TEXT_MARK.test(head)),
  analyze: analyzeSnapshot(parseSmiTable),
};

/** Every analyzer of the gpu area. */
export const gpuAnalyzers: Analyzer[] = [xmlAnalyzer, textAnalyzer, csvAnalyzer, nvlinkAnalyzer, tableAnalyzer];
