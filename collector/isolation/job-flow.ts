/**
 * The fault-tolerant job flow, as large platforms run it: on a job fault pointing at a node,
 * first restart the ranks locally (a configurable hook: signal, systemd unit, command) and count
 * the attempts; after N failures on the same node, isolate that node and mark the job for
 * rescheduling from its latest committed checkpoint step. The counting is pure (time in).
 */

export interface JobFlowConfig {
  /** Local restarts tried on one node before it is isolated. */
  maxLocalRestarts: number;
  /** A node with no fault for the job for this long starts counting from zero again. */
  resetAfterMs: number;
}

export const DEFAULT_JOB_FLOW: JobFlowConfig = { maxLocalRestarts: 2, resetAfterMs: 6 * 3_600_000 };

/** Faults of one job on one node. */
export interface JobFaultCount {
  job: string;
  node: string;
  failures: number;
  lastAt: number;
}

export type JobFaultVerdict =
  | { kind: 'restart-local'; attempt: number }
  | { kind: 'isolate-and-reschedule'; failures: number };

/** Count one fault of `job` on `node` and say what to do. Pure. */
export function countJobFault(
  prev: JobFaultCount | undefined,
  cfg: JobFlowConfig,
  job: string,
  node: string,
  now: number,
): { count: JobFaultCount; verdict: JobFaultVerdict } {
  const fresh = !prev || now - prev.lastAt > cfg.resetAfterMs;
  const failures = (fresh ? 0 : prev.failures) + 1;
  const count = { job, node, failures, lastAt: now };
  if (failures <= cfg.maxLocalRestarts) return { count, verdict: { kind: 'restart-local', attempt: failures } };
  return { count, verdict: { kind: 'isolate-and-reschedule', failures } };
}

/** The job of a finding: its component `job:<id>` (or `job:<id>/rank:<n>`), else undefined. */
export function jobOfComponent(component: string): string | undefined {
  const m = /^job:([^/]+)/.exec(component);
  return m?.[1];
}

export interface RestartRequest {
  job: string;
  node: string;
  attempt: number;
  reason: string;
}

export interface RescheduleRequest {
  job: string;
  /** The node the job must leave. */
  node: string;
  /** The latest committed checkpoint step to resume from, when one is known. */
  checkpointStep?: number;
  reason: string;
}

/** How the collector restarts ranks on a node and reschedules a job (exec, agent command, …). */
export interface JobRestartHook {
  restartLocal(req: RestartRequest): Promise<void>;
  rescheduleJob(req: RescheduleRequest): Promise<void>;
}
