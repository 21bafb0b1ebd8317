/**
 * The vocabulary of active network tests between the collector and whoever runs them: what to
 * test (a TestRequest), what came back (a TestResult, already judged against the baseline by
 * the side that parsed the output), and the zod schemas to validate them on the wire.
 */
import { z } from 'zod';

/** nccl-tests all_reduce_perf across the nodes, or a perftest ib_write_bw pair. */
export const TEST_KINDS = ['nccl-allreduce', 'ib-write-bw'] as const;
export type TestKind = (typeof TEST_KINDS)[number];

/**
 * pass / slow (below baseline) / failed (errors, wrong results) / timeout (no answer in time: a
 * stuck collective) — all about the nodes; `error`: the test could not be run or judged at all
 * (launcher missing, no baseline), which says nothing about the nodes and stops a campaign.
 */
export const TEST_OUTCOMES = ['pass', 'slow', 'failed', 'timeout', 'error'] as const;
export type TestOutcome = (typeof TEST_OUTCOMES)[number];

/** Why a test is run, for the record and the display. */
export type TestMode = 'group' | 'padded' | 'solo' | 'cross' | 'pair';

/** One test the planner wants run. */
export interface TestRequest {
  id: string;
  kind: TestKind;
  /** For ib-write-bw: [server, client]. */
  nodes: string[];
  timeoutMs: number;
  mode: TestMode;
  /** One line: what the test is meant to show. */
  purpose: string;
}

/** What one test showed. */
export interface TestResult {
  nodes: string[];
  kind: TestKind;
  outcome: TestOutcome;
  /** busbw GB/s (nccl-allreduce) or average Gb/s (ib-write-bw) at the judged size. */
  measured?: number;
  expected?: number;
  /** One line of evidence (the judgement's reason or the error). */
  detail: string;
  durationMs: number;
}

/** Whether an outcome says the tested nodes (or a link between them) are faulty. */
export function isFailingOutcome(outcome: TestOutcome): boolean {
  return outcome === 'slow' || outcome === 'failed' || outcome === 'timeout';
}

/** Runs one test; implemented by the lead over the agent protocol and mpirun/srun. Must honour timeoutMs. */
export interface TestRunner {
  runTest(nodes: string[], kind: TestKind, timeoutMs: number): Promise<TestResult>;
}

/** Wire schema of a TestResult (agent → collector command-result). */
export const testResultSchema = z.object({
  nodes: z.array(z.string().min(1)).min(1),
  kind: z.enum(TEST_KINDS),
  outcome: z.enum(TEST_OUTCOMES),
  measured: z.number().optional(),
  expected: z.number().optional(),
  detail: z.string(),
  durationMs: z.number().nonnegative(),
});
