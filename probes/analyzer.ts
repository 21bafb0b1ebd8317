/**
 * Offline analysis (`keelson analyze`): each probe area offers analyzers that recognise a
 * capture (a file's text, or a directory such as a copy of /sys/class/infiniband) and turn it
 * into observations with the same parsers and rules the live probes use.
 */
import type { Observation } from '../core/finding.ts';

/** An analyzer of one kind of text capture (nvidia-smi XML, dmesg, ibstat, ...). */
export interface TextAnalyzer {
  readonly kind: string;
  /** One line for `keelson analyze --help`. */
  readonly description: string;
  readonly input: 'text';
  /** Whether the text (the first 64 KiB of it) looks like this kind. Pure. */
  sniff(head: string): boolean;
  /** Findings in the capture; `now` stands in for the time of the capture. Pure; never throws on bad input but returns a `parse.failed`-style observation or throws KeelsonError('PARSE_FAILED'). */
  analyze(text: string, now: number): Observation[];
}

/** An analyzer of a directory tree (a copied sysfs subtree). */
export interface DirAnalyzer {
  readonly kind: string;
  readonly description: string;
  readonly input: 'dir';
  /** Whether the directory looks like this kind. */
  sniffDir(dir: string): Promise<boolean>;
  analyzeDir(dir: string, now: number): Promise<Observation[]>;
}

export type Analyzer = TextAnalyzer | DirAnalyzer;
