/**
 * Runs one probe once, safely: asks whether it is supported, enforces its timeout, and turns
 * a throw, a hang or garbage into an outcome with a reason. Nothing a probe does escapes here.
 */
import type { Clock } from '../core/clock.ts';
import { describeError, isKeelsonError } from '../core/errors.ts';
import { capEvidence, type Observation } from '../core/finding.ts';
import type { Probe, ProbeContext, ProbeResult } from '../probes/types.ts';

export type ProbeRunStatus = 'ok' | 'failed' | 'timeout' | 'unsupported';

/** What one run of a probe came to. */
export interface ProbeOutcome {
  probe: string;
  status: ProbeRunStatus;
  startedAt: number;
  durationMs: number;
  /** Why it failed, timed out or is unsupported. */
  reason?: string;
  result?: ProbeResult;
  /** State to hand to the next run. */
  state?: unknown;
}

/** Run `probe` with a hard timeout; never rejects. */
export async function runProbeOnce(
  probe: Probe,
  ctx: Omit<ProbeContext, 'signal'>,
  previous: unknown,
  timeoutMs: number,
  clock: Clock,
): Promise<ProbeOutcome> {
  const startedAt = clock.now();
  const t0 = performance.now();
  const ac = new AbortController();
  const full: ProbeContext = { ...ctx, signal: ac.signal };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const done = (status: ProbeRunStatus, extra: Partial<ProbeOutcome> = {}): ProbeOutcome => ({
    probe: probe.name,
    status,
    startedAt,
    durationMs: performance.now() - t0,
    ...extra,
  });
  try {
    const support = await Promise.race([probe.isSupported(full), timeout]);
    if (support === 'timeout')
      return done('timeout', { reason: `support check did not finish within ${timeoutMs} ms` });
    if (!support.supported) return done('unsupported', { reason: support.reason });
    const out = await Promise.race([probe.run(full, previous), timeout]);
    if (out === 'timeout') return done('timeout', { reason: `did not finish within ${timeoutMs} ms` });
    if (!out || !Array.isArray(out.observations) || !Array.isArray(out.metrics)) {
      return done('failed', { reason: 'returned a malformed result' });
    }
    const { state, ...result } = out;
    return done('ok', { result, state });
  } catch (err) {
    const timedOut = isKeelsonError(err, 'CMD_TIMEOUT') || isKeelsonError(err, 'PROBE_TIMEOUT');
    return done(timedOut ? 'timeout' : 'failed', { reason: describeError(err) });
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
}

/** The finding that reports a probe which could not do its job. */
export function probeFailedObservation(outcome: ProbeOutcome): Observation {
  const what = outcome.status === 'timeout' ? 'timed out' : 'failed';
  return {
    code: 'probe.failed',
    component: `probe:${outcome.probe}`,
    severity: 'warn',
    action: 'none',
    kind: 'condition',
    message: `probe ${outcome.probe} ${what}: ${outcome.reason ?? 'unknown reason'}`,
    evidence: capEvidence(outcome.reason ?? ''),
  };
}
