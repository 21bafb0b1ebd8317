/**
 * `keelson analyze` for kernel-log captures: dmesg (raw/iso/decoded, or bare kernel text),
 * dmesg -T, raw /dev/kmsg, journalctl -k (short, short-iso, json) and syslog files, run
 * through the same parsers and rules as the live watcher.
 */
import type { Observation } from '../../core/finding.ts';
import type { TextAnalyzer } from '../analyzer.ts';
import { type LineFormat, parseKernelLog, sniffFormat, stripBlockquote } from './parse.ts';
import { analyzeLines } from './rules.ts';
import { DEFAULT_KERNEL_LOG_SETTINGS } from './settings.ts';

/** Bare kernel text (no timestamps) still reads as dmesg when it looks like kernel output. */
const KERNELISH_RE =
  /NVRM: |INFO: task |Call Trace:|Tainted: |\bSXid\b|EDAC |mce: |nvme nvme\d|EXT4-fs|XFS \(|LustreError|Out of memory|oom-kill:|mlx5_core/;

/** Analyze a capture in the given formats' family: the sniffed format if it is one of them, else the first. */
export function analyzeKernelLog(text: string, now: number, formats: readonly LineFormat[]): Observation[] {
  const sniffed = sniffFormat(text);
  const format = formats.includes(sniffed) ? sniffed : (formats[0] ?? 'plain');
  const lines = parseKernelLog(text, { format, now });
  // Captures with only monotonic stamps: the last line stands for `now`.
  let maxUs: number | undefined;
  for (const l of lines) {
    if (l.at === undefined && l.monotonicUs !== undefined && (maxUs === undefined || l.monotonicUs > maxUs)) {
      maxUs = l.monotonicUs;
    }
  }
  return analyzeLines(lines, {
    now,
    settings: DEFAULT_KERNEL_LOG_SETTINGS,
    ...(maxUs !== undefined ? { bootTimeMs: now - maxUs / 1000 } : {}),
  });
}

function analyzer(kind: string, description: string, formats: readonly LineFormat[], plainOk = false): TextAnalyzer {
  return {
    kind,
    description,
    input: 'text',
    sniff(head) {
      const f = sniffFormat(head);
      if (formats.includes(f)) return true;
      return plainOk && f === 'plain' && KERNELISH_RE.test(stripBlockquote(head));
    },
    analyze: (text, now) => analyzeKernelLog(text, now, formats),
  };
}

/** Kernel-log analyzers, one per nameable kind (`--as`). */
export const kernelLogAnalyzers: TextAnalyzer[] = [
  analyzer(
    'dmesg',
    'dmesg output ([secs] stamps, --time-format=iso, --decode, or bare kernel text)',
    ['dmesg', 'dmesg-iso'],
    true,
  ),
  analyzer('dmesg-T', 'dmesg -T / --ctime output ([Mon Jun  3 10:11:12 2024] stamps)', ['dmesg-T']),
  analyzer('kmsg', 'raw /dev/kmsg records (prio,seq,usec,flags;message)', ['kmsg']),
  analyzer('journalctl-short', 'journalctl -k -o short (Jun 03 10:11:12 host kernel: ...)', ['journalctl-short']),
  analyzer('journalctl-iso', 'journalctl -k -o short-iso (2024-06-03T10:11:12+0000 host kernel: ...)', [
    'journalctl-iso',
  ]),
  analyzer('journalctl-json', 'journalctl -k -o json (one JSON object a line)', ['journalctl-json']),
  analyzer('syslog', 'classic syslog / kern.log (Jun  3 10:11:12 host kernel: ...)', ['syslog']),
];
