/**
 * An in-process model of a faulty fabric for planner tests and dry runs: which test outcome a
 * node set gets given bad nodes, nodes that fail only across the network, and bad links. The
 * same rules as the fake binaries' fault map (sim/fakes/bin/fault-map.mjs).
 */
import type { TestKind, TestOutcome, TestResult } from './types.ts';

/** Faults of a simulated fabric. */
export interface FaultModel {
  /** Slow in every test that includes them, alone too. */
  bad?: readonly string[];
  /** Slow only with other nodes (a NIC/cable fault a single-node loopback does not show). */
  pairedOnly?: readonly string[];
  /** Slow only when both ends are in the test. */
  links?: readonly (readonly [string, string])[];
}

/** The outcome a test over `nodes` gets under `faults`. */
export function modelOutcome(nodes: readonly string[], faults: FaultModel): TestOutcome {
  const set = new Set(nodes);
  if ((faults.bad ?? []).some((n) => set.has(n))) return 'slow';
  if (nodes.length > 1 && (faults.pairedOnly ?? []).some((n) => set.has(n))) return 'slow';
  if ((faults.links ?? []).some(([a, b]) => set.has(a) && set.has(b))) return 'slow';
  return 'pass';
}

/** A TestResult for `nodes` under `faults`, as a runner would return it. */
export function modelResult(nodes: string[], kind: TestKind, faults: FaultModel): TestResult {
  const outcome = modelOutcome(nodes, faults);
  return { nodes, kind, outcome, detail: `modelled ${outcome}`, durationMs: 0 };
}
