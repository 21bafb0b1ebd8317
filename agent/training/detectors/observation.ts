/** Builds training observations from the catalog, so severities and actions live in one place. */
import type { Action, FindingKind, Observation, Severity } from '../../../core/finding.ts';
import { capEvidence } from '../../../core/finding.ts';
import { trainingDetectorCatalog } from '../catalog.ts';

/** An observation of a detector code with the catalog's defaults, optionally overridden. */
export function trainingObservation(
  code: string,
  component: string,
  message: string,
  evidence: string,
  over: { severity?: Severity; action?: Action; kind?: FindingKind; at?: number } = {},
): Observation {
  const e = trainingDetectorCatalog.find((c) => c.code === code);
  if (!e) throw new Error(`unknown training code ${code}`);
  const o: Observation = {
    code,
    component,
    severity: over.severity ?? e.severity,
    action: over.action ?? e.action,
    kind: over.kind ?? e.kind,
    message,
    evidence: capEvidence(evidence),
  };
  if (over.at !== undefined) o.at = over.at;
  return o;
}

/** Milliseconds as a short human duration. */
export function fmtMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}
