/**
 * Matches training output against the diagnosis catalog: the first signature per line wins,
 * matches of one signature are counted together (first and last evidence kept), and the rank
 * or host a line names is kept. Anything after "training completed" is teardown noise and is
 * lowered to info. Pure.
 */
import type { Observation } from '../../../core/finding.ts';
import { capEvidence, severityRank } from '../../../core/finding.ts';
import { jobComponent } from '../types.ts';
import { DIAGNOSIS_SIGNATURES, type DiagnosisSignature } from './catalog.ts';

/** One signature seen in the output. */
export interface Diagnosis {
  signature: DiagnosisSignature;
  count: number;
  /** The first matching line (ANSI stripped, trimmed). */
  evidence: string;
  /** 0-based index of that line. */
  line: number;
  ranks: number[];
  hosts: string[];
  /** Every match came after the job said training completed. */
  teardown: boolean;
}

const ANSI_RE = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;
const RANK_RE = /\[(?:rank|Rank)\s*(\d{1,7})\]|\bRank (\d{1,7})\b|^\s*(\d{1,7}):\s/;
const HOST_RE = /(?:^|[\]\s])([A-Za-z][\w.-]{0,62}):\d+:\d+ \[\d+\] /;
const DONE_RE = /Training completed|Training finished|training complete[d.]?\b|\*\*\*\*\* train metrics \*\*\*\*\*/i;

/** Strip ANSI colour codes. */
export function stripAnsi(s: string): string {
  return s.replace(ANSI_RE, '');
}

/** The signature a single line matches first, if any. */
export function matchLine(line: string): DiagnosisSignature | undefined {
  if (line.length > 8192) line = line.slice(0, 8192);
  return DIAGNOSIS_SIGNATURES.find((s) => s.pattern.test(line));
}

/** Incremental matcher: feed lines as they come (a log tail), read diagnoses at any time. */
export class DiagnosisMatcher {
  private readonly found = new Map<string, Diagnosis>();
  private n = 0;
  private completed = false;

  /** Feed one line; returns the diagnosis if this line opened a new one. */
  push(raw: string): Diagnosis | undefined {
    const index = this.n++;
    const line = stripAnsi(raw).trim();
    if (line === '') return undefined;
    if (DONE_RE.test(line)) this.completed = true;
    const sig = matchLine(line);
    if (!sig) return undefined;
    const rm = RANK_RE.exec(line);
    const rank = rm ? Number(rm[1] ?? rm[2] ?? rm[3]) : undefined;
    const host = HOST_RE.exec(line)?.[1];
    const d = this.found.get(sig.id);
    if (d) {
      d.count += 1;
      if (rank !== undefined && !d.ranks.includes(rank) && d.ranks.length < 64) d.ranks.push(rank);
      if (host && !d.hosts.includes(host) && d.hosts.length < 16) d.hosts.push(host);
      if (!this.completed) d.teardown = false;
      return undefined;
    }
    const nd: Diagnosis = {
      signature: sig,
      count: 1,
      evidence: line,
      line: index,
      ranks: rank !== undefined ? [rank] : [],
      hosts: host ? [host] : [],
      teardown: this.completed,
    };
    this.found.set(sig.id, nd);
    return nd;
  }

  /** Everything found so far, worst first (then by first appearance). */
  diagnoses(): Diagnosis[] {
    return [...this.found.values()].sort(
      (a, b) => severityRank(b.signature.severity) - severityRank(a.signature.severity) || a.line - b.line,
    );
  }
}

/** Diagnose a whole text at once. */
export function diagnoseText(text: string): Diagnosis[] {
  const m = new DiagnosisMatcher();
  for (const line of text.split(/\r?\n/)) m.push(line);
  return m.diagnoses();
}

/** The worst diagnosis (first in `diagnoses()` order) that is not teardown noise. */
export function primaryDiagnosis(ds: readonly Diagnosis[]): Diagnosis | undefined {
  return ds.find((d) => !d.teardown) ?? ds[0];
}

/** A diagnosis as a `train.diag.*` event observation about the job. */
export function diagnosisObservation(job: string, d: Diagnosis, at?: number): Observation {
  const s = d.signature;
  const who = [
    d.ranks.length ? `rank${d.ranks.length > 1 ? 's' : ''} ${d.ranks.slice(0, 8).join(', ')}` : '',
    d.hosts.length ? `host ${d.hosts.slice(0, 4).join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const o: Observation = {
    code: s.code,
    component: jobComponent(job),
    severity: d.teardown && s.severity !== 'fatal' ? 'info' : s.severity,
    action: d.teardown && s.severity !== 'fatal' ? 'none' : s.action,
    kind: 'event',
    message: `Job ${job}: ${s.cause} Culprit: ${s.culprit}${who ? ` (${who})` : ''}. ${s.suggestion}${
      d.count > 1 ? ` (${d.count} lines)` : ''
    }${d.teardown ? ' Seen only at teardown, after training completed.' : ''}`,
    evidence: capEvidence(d.evidence),
  };
  if (at !== undefined) o.at = at;
  return o;
}
