/**
 * `keelson preflight`: every supported probe once, now, plus quick active checks; healthy or
 * not, with the reasons. Usable as a Slurm Prolog or HealthCheckProgram and as a Kubernetes
 * init container (see docs/PREFLIGHT.md).
 */
import { join } from 'node:path';
import type { Clock } from '../core/clock.ts';
import type { Observation } from '../core/finding.ts';
import { createExecCheckProbe } from '../probes/exec/probe.ts';
import { BUILTIN_PROBES } from '../probes/registry.ts';
import { type CommandRunner, processRunner } from '../probes/runner.ts';
import type { Probe } from '../probes/types.ts';
import { type ActiveCheckResult, kernelLogSinceBootCheck, writeReadCheck } from './active-checks.ts';
import type { AgentConfig } from './config.ts';
import { type ProbeOutcome, probeFailedObservation, runProbeOnce } from './probe-runner.ts';

/** What preflight found. */
export interface PreflightResult {
  healthy: boolean;
  probes: Pick<ProbeOutcome, 'probe' | 'status' | 'reason' | 'durationMs'>[];
  checks: Omit<ActiveCheckResult, 'observations'>[];
  findings: Observation[];
  /** One line per reason the node is unhealthy. */
  reasons: string[];
}

/** Bytes the shared-memory check writes. */
const SHM_CHECK_BYTES = 64 * 1024 * 1024;

/** Pure verdict over probe outcomes, active checks and findings. */
export function judgePreflight(
  outcomes: ProbeOutcome[],
  checks: ActiveCheckResult[],
): Omit<PreflightResult, 'probes' | 'checks'> & { probes: PreflightResult['probes'] } {
  const findings: Observation[] = [];
  const reasons: string[] = [];
  for (const o of outcomes) {
    if (o.status === 'ok') findings.push(...(o.result?.observations ?? []));
    if (o.status === 'failed' || o.status === 'timeout') {
      findings.push(probeFailedObservation(o));
      reasons.push(`probe ${o.probe} ${o.status}: ${o.reason ?? ''}`);
    }
  }
  for (const c of checks) {
    findings.push(...c.observations);
    if (!c.ok) reasons.push(`check ${c.name} failed: ${c.detail}`);
  }
  for (const f of findings) {
    if (f.severity === 'degraded' || f.severity === 'fatal')
      reasons.push(`${f.severity} ${f.code} ${f.component}: ${f.message}`);
  }
  return {
    healthy: reasons.length === 0,
    probes: outcomes.map((o) => ({
      probe: o.probe,
      status: o.status,
      reason: o.reason,
      durationMs: Math.round(o.durationMs),
    })),
    findings,
    reasons: [...new Set(reasons)],
  };
}

/** Run every enabled probe once (in parallel) and the active checks. */
export async function runPreflight(
  config: AgentConfig,
  deps: { clock: Clock; runner?: CommandRunner; probes?: readonly Probe[] },
): Promise<PreflightResult> {
  const probes = deps.probes ?? [...BUILTIN_PROBES, ...config.checks.map((c) => createExecCheckProbe(c))];
  const enabled = probes.filter((p) => config.probes[p.name]?.enabled !== false);
  const outcomes = await Promise.all(
    enabled.map((p) =>
      runProbeOnce(
        p,
        {
          runner: deps.runner ?? processRunner,
          roots: config.roots,
          clock: deps.clock,
          settings: config.probes[p.name]?.settings ?? {},
          limits: {
            timeoutMs: config.probes[p.name]?.timeoutMs ?? p.defaults.timeoutMs,
            outputCapBytes: config.probes[p.name]?.outputCapBytes ?? p.defaults.outputCapBytes,
          },
        },
        undefined,
        config.probes[p.name]?.timeoutMs ?? p.defaults.timeoutMs,
        deps.clock,
      ),
    ),
  );
  const checks = await Promise.all([
    writeReadCheck('shm', join(config.roots.dev, 'shm'), SHM_CHECK_BYTES),
    writeReadCheck('state-dir', config.stateDir, 1024 * 1024),
    config.probes['kernel-log']?.enabled === false
      ? Promise.resolve<ActiveCheckResult>({ name: 'kernel-log', ok: true, detail: 'disabled', observations: [] })
      : kernelLogSinceBootCheck(config.roots.dev, deps.clock.now()),
  ]);
  const verdict = judgePreflight(outcomes, checks);
  return { ...verdict, checks: checks.map(({ observations: _o, ...c }) => c) };
}

/** Human-readable report. */
export function formatPreflightText(r: PreflightResult): string {
  const lines = [`keelson preflight: ${r.healthy ? 'HEALTHY' : 'UNHEALTHY'}`, '', 'probes:'];
  for (const p of r.probes) lines.push(`  ${p.status.padEnd(11)} ${p.probe}${p.reason ? ` — ${p.reason}` : ''}`);
  lines.push('', 'checks:');
  for (const c of r.checks) lines.push(`  ${(c.ok ? 'ok' : 'FAILED').padEnd(11)} ${c.name} — ${c.detail}`);
  if (r.findings.length) {
    lines.push('', 'findings:');
    for (const f of r.findings) lines.push(`  ${f.severity.padEnd(11)} ${f.code} ${f.component} — ${f.message}`);
  }
  if (r.reasons.length) {
    lines.push('', 'unhealthy because:');
    for (const x of r.reasons) lines.push(`  - ${x}`);
  }
  return `${lines.join('\n')}\n`;
}
