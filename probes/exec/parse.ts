/**
 * Interprets a site-defined check's result, like node-problem-detector's custom plugins:
 * exit 0 healthy, exit 1 a problem (first line of output is the message), anything else
 * unknown; or, with format `json`, `{"observations":[...]}` on stdout. Pure.
 */
import { z } from 'zod';
import { KeelsonError } from '../../core/errors.ts';
import { ACTIONS, type Action, capEvidence, type Observation, SEVERITIES, type Severity } from '../../core/finding.ts';

/** What a check declares about itself. */
export interface ExecCheckSpec {
  name: string;
  format: 'exit-code' | 'json';
  code?: string;
  severity: Severity;
  action: Action;
}

const jsonOutput = z
  .object({
    observations: z
      .array(
        z.object({
          code: z.string().regex(/^[a-z0-9_.-]{1,128}$/),
          component: z.string().min(1).max(256).default('host'),
          severity: z.enum(SEVERITIES),
          action: z.enum(ACTIONS).default('none'),
          kind: z.enum(['condition', 'event']).default('condition'),
          message: z.string().max(2048),
          evidence: z.string().max(4096).default(''),
        }),
      )
      .max(1000),
  })
  .strict();

/** Observations from one run of a check. Throws PROBE_FAILED for an unknown result. */
export function parseExecCheckOutput(spec: ExecCheckSpec, out: { stdout: string; exitCode: number }): Observation[] {
  if (spec.format === 'json') {
    let doc: unknown;
    try {
      doc = JSON.parse(out.stdout);
    } catch {
      throw new KeelsonError('PROBE_FAILED', `check ${spec.name} printed output that is not JSON`);
    }
    const r = jsonOutput.safeParse(doc);
    if (!r.success) {
      const i = r.error.issues[0];
      throw new KeelsonError('PROBE_FAILED', `check ${spec.name}: ${i?.path.join('.') || 'output'}: ${i?.message}`);
    }
    return r.data.observations.map((o) => ({ ...o, evidence: capEvidence(o.evidence) }));
  }
  if (out.exitCode === 0) return [];
  const firstLine = out.stdout.trim().split('\n')[0]?.trim() ?? '';
  if (out.exitCode === 1) {
    return [
      {
        code: spec.code ?? `check.${spec.name}`,
        component: 'host',
        severity: spec.severity,
        action: spec.action,
        kind: 'condition',
        message: firstLine || `check ${spec.name} reported a problem`,
        evidence: capEvidence(out.stdout.trim()),
      },
    ];
  }
  throw new KeelsonError('PROBE_FAILED', `check ${spec.name} exited ${out.exitCode} (unknown state)`);
}
