/**
 * Recognises what nvidia-smi prints when it cannot report normally — no devices, a lost GPU,
 * NVML failing to initialise, an unknown error — and the infoROM corruption warning that can
 * accompany otherwise good output. Each becomes a distinct SmiIssue.
 */
import { normalizeBusId, type SmiIssue } from './record.ts';

const BUS = '([0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\\.[0-7])';
const HANDLE = new RegExp(`Unable to determine the device handle for (?:GPU\\s*)?${BUS}`, 'i');
const INFOROM = new RegExp(`infoROM is corrupted at gpu\\s+${BUS}`, 'i');
const LOST_BUS = new RegExp(`GPU\\s+${BUS}.*\\bis lost\\b`, 'i');

/** Line patterns in priority order; the first that matches classifies the line. */
const MATCHERS: { re: RegExp; kind: SmiIssue['kind'] }[] = [
  { re: /^No devices were found/i, kind: 'no_devices' },
  { re: HANDLE, kind: 'lost' },
  { re: LOST_BUS, kind: 'lost' },
  { re: /^(?:Unable to .*: )?GPU is lost\b/i, kind: 'lost' },
  { re: /^Failed to initialize NVML\b/i, kind: 'nvml_init' },
  { re: /NVIDIA-SMI has failed because it couldn'?t communicate with the NVIDIA driver/i, kind: 'nvml_init' },
  { re: INFOROM, kind: 'inforom' },
  { re: /infoROM is corrupted/i, kind: 'inforom' },
  { re: /^(?:NVML: )?Unknown Error\.?$/i, kind: 'unknown_error' },
];

/** Every issue line in nvidia-smi output (stdout and stderr together), in order. */
export function scanSmiIssues(text: string): SmiIssue[] {
  const issues: SmiIssue[] = [];
  for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    for (const { re, kind } of MATCHERS) {
      const m = re.exec(line);
      if (!m) continue;
      const issue: SmiIssue = { kind, line };
      const busId = normalizeBusId(m[1]);
      if (busId) issue.busId = busId;
      issues.push(issue);
      break;
    }
  }
  return issues;
}
