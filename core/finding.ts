/**
 * The one vocabulary of Keelson: a Finding is a fact about one component of one node.
 * Probes, detectors, the stream, the collector and the dashboard all speak it.
 */

/** How bad a finding is, from least to most severe. */
export const SEVERITIES = ['info', 'warn', 'degraded', 'fatal'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The repair a finding suggests; the collector's policy decides whether to carry it out. */
export const ACTIONS = ['none', 'restart-job', 'reset-gpu', 'reboot', 'drain', 'inspect-hardware'] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * A condition persists until it is no longer observed (a port down); an event happens once
 * (an Xid line) and is kept for a while so it can be seen, then expires.
 */
export const FINDING_KINDS = ['condition', 'event'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** A fact about one component of one node, as kept in the health state and sent on the wire. */
export interface Finding {
  /** Dotted stable code, e.g. `gpu.xid.79`. */
  code: string;
  /** What it is about: `gpu:3`, `ib:mlx5_0/1`, `nvme0`, `job:<id>`, `host`, `probe:<name>`. */
  component: string;
  severity: Severity;
  action: Action;
  kind: FindingKind;
  /** A sentence for a human. */
  message: string;
  /** The raw line or value that shows it, capped in length. */
  evidence: string;
  /** Epoch milliseconds. */
  firstSeen: number;
  lastSeen: number;
  /** How many times it was observed while active. */
  count: number;
  /** Sticky findings survive until the next boot (e.g. a GPU that needs a reboot). */
  sticky?: boolean;
}

/** What a probe or detector reports in one run; the health state turns it into Findings. */
export interface Observation {
  code: string;
  component: string;
  severity: Severity;
  action: Action;
  kind: FindingKind;
  message: string;
  evidence: string;
  sticky?: boolean;
  /** When it happened, if the source says (a kernel-log timestamp); otherwise the run time. */
  at?: number;
}

/** Longest evidence string kept; longer raw lines are cut so no one floods the stream. */
export const MAX_EVIDENCE_CHARS = 1024;

/** Identity of a finding within a node: one active finding per (code, component). */
export function findingKey(f: { code: string; component: string }): string {
  return `${f.code}\u0000${f.component}`;
}

/** Numeric rank of a severity, for comparisons. */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** The worst severity among findings, or undefined for none. */
export function worstSeverity(findings: Iterable<{ severity: Severity }>): Severity | undefined {
  let worst: Severity | undefined;
  for (const f of findings) {
    if (worst === undefined || severityRank(f.severity) > severityRank(worst)) worst = f.severity;
  }
  return worst;
}

/** Cut evidence to the kept length, marking the cut. */
export function capEvidence(text: string): string {
  return text.length <= MAX_EVIDENCE_CHARS ? text : `${text.slice(0, MAX_EVIDENCE_CHARS - 1)}…`;
}
