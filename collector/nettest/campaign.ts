/**
 * A network test campaign: the thin shell that runs the bisection planner's rounds through an
 * injected TestRunner (the lead's implementation over the agent protocol and mpirun/srun),
 * keeps every test and the verdict in a CampaignStore, and turns a confirmed culprit into an
 * observation (`net.nccl.slow` / `net.ib.bw`). Safety: nodes running a job are left out unless
 * forced, one campaign at a time per node (NodeLocks), and each test is time-boxed here too, in
 * case a runner does not honour its timeout.
 */
import type { Clock } from '../../core/clock.ts';
import { KeelsonError } from '../../core/errors.ts';
import { capEvidence, type Observation } from '../../core/finding.ts';
import type { Logger } from '../../core/logger.ts';
import { applyRound, type BisectState, type BisectVerdict, nextTests, startBisection, verdict } from './bisect.ts';
import type { NodeLocks } from './locks.ts';
import type { CampaignRecord, CampaignStore } from './store.ts';
import { isFailingOutcome, type TestKind, type TestRequest, type TestResult, type TestRunner } from './types.ts';

/** What to test. */
export interface CampaignOptions {
  id: string;
  kind: TestKind;
  /** Nodes picked by the operator or the idle ones the collector chose. */
  nodes: string[];
  /** Test nodes even while they run a job. */
  force?: boolean;
  /** Time box of each test. */
  testTimeoutMs: number;
  /** Extra wait past testTimeoutMs before the campaign gives up on a runner that hangs. */
  graceMs?: number;
  maxRounds?: number;
}

/** What a campaign needs from its surroundings. */
export interface CampaignDeps {
  runner: TestRunner;
  store: CampaignStore;
  locks: NodeLocks;
  clock: Clock;
  /** The nodes among these that run a job now (from the scheduler or the fleet state). */
  busyNodes(nodes: string[]): Promise<string[]> | string[];
  log?: Logger;
}

/** One confirmed culprit's observation, for the node it is about. */
export interface CulpritObservation {
  node: string;
  observation: Observation;
}

/** How a campaign ended. */
export interface CampaignOutcome {
  record: CampaignRecord;
  verdict: BisectVerdict;
  observations: CulpritObservation[];
}

function timeBoxed(runner: TestRunner, req: TestRequest, graceMs: number, clock: Clock): Promise<TestResult> {
  const started = clock.now();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<TestResult>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          nodes: req.nodes,
          kind: req.kind,
          outcome: 'timeout',
          detail: `no result within ${req.timeoutMs + graceMs} ms`,
          durationMs: clock.now() - started,
        }),
      req.timeoutMs + graceMs,
    );
  });
  const run = runner.runTest(req.nodes, req.kind, req.timeoutMs).catch(
    (err: unknown): TestResult => ({
      nodes: req.nodes,
      kind: req.kind,
      outcome: 'error',
      detail: err instanceof Error ? err.message : String(err),
      durationMs: clock.now() - started,
    }),
  );
  return Promise.race([run, limit]).finally(() => clearTimeout(timer));
}

/** The observations for the culprits and bad links a verdict names; evidence is a failing test of each. */
export function culpritObservations(state: BisectState, v: BisectVerdict): CulpritObservation[] {
  const code = state.kind === 'nccl-allreduce' ? 'net.nccl.slow' : 'net.ib.bw';
  const test = state.kind === 'nccl-allreduce' ? 'all_reduce_perf' : 'ib_write_bw';
  const evidenceFor = (nodes: string[]) => {
    const h = [...state.history]
      .reverse()
      .find((x) => isFailingOutcome(x.result.outcome) && nodes.every((n) => x.request.nodes.includes(n)));
    return capEvidence(h ? `${h.request.nodes.join(',')}: ${h.result.outcome}: ${h.result.detail}` : '');
  };
  const out: CulpritObservation[] = [];
  for (const node of v.culprits) {
    out.push({
      node,
      observation: {
        code,
        component: 'net',
        severity: 'degraded',
        action: 'drain',
        kind: 'condition',
        message: `${test} is slow or fails in every test with ${node} while its peers pass without it (bisection over ${state.nodes.length} nodes, ${v.rounds} rounds)`,
        evidence: evidenceFor([node]),
      },
    });
  }
  for (const [a, b] of v.links) {
    for (const [node, peer] of [
      [a, b],
      [b, a],
    ] as const) {
      out.push({
        node,
        observation: {
          code,
          component: `link:${peer}`,
          severity: 'degraded',
          action: 'drain',
          kind: 'condition',
          message: `${test} between ${node} and ${peer} is slow or fails while each passes with other nodes: a bad link or path between them`,
          evidence: evidenceFor([a, b]),
        },
      });
    }
  }
  return out;
}

/** Run a whole campaign; resolves when the verdict is stored. Throws NETTEST_BUSY / NETTEST_NO_NODES. */
export async function runCampaign(opts: CampaignOptions, deps: CampaignDeps): Promise<CampaignOutcome> {
  const nodes = [...new Set(opts.nodes)];
  const busy = opts.force ? [] : await deps.busyNodes(nodes);
  const eligible = nodes.filter((n) => !busy.includes(n));
  if (eligible.length === 0) {
    throw new KeelsonError(
      'NETTEST_NO_NODES',
      `no node to test: ${busy.length} of ${nodes.length} run a job (use force)`,
    );
  }
  deps.locks.acquire(opts.id, eligible);
  try {
    const record: CampaignRecord = {
      id: opts.id,
      kind: opts.kind,
      nodes: eligible,
      skipped: busy,
      forced: opts.force ?? false,
      startedAt: deps.clock.now(),
      status: 'running',
    };
    await deps.store.createCampaign(record);
    let state = startBisection(eligible, {
      kind: opts.kind,
      timeoutMs: opts.testTimeoutMs,
      ...(opts.maxRounds === undefined ? {} : { maxRounds: opts.maxRounds }),
    });
    for (;;) {
      const reqs = nextTests(state);
      if (reqs.length === 0) break;
      const round = state.round + 1;
      const results = await Promise.all(reqs.map((r) => timeBoxed(deps.runner, r, opts.graceMs ?? 5000, deps.clock)));
      const pairs = reqs.map((request, i) => ({ request, result: results[i] as TestResult }));
      for (const p of pairs) {
        await deps.store.recordTest({
          campaignId: opts.id,
          round,
          request: p.request,
          result: p.result,
          at: deps.clock.now(),
        });
      }
      deps.log?.info(
        { campaign: opts.id, round, tests: pairs.map((p) => `${p.request.nodes.join(',')}=${p.result.outcome}`) },
        'network test round',
      );
      state = applyRound(state, pairs);
    }
    const v = verdict(state);
    const status = v.status === 'aborted' ? 'aborted' : 'done';
    const at = deps.clock.now();
    await deps.store.finishCampaign(opts.id, status, v, at);
    deps.log?.info(
      { campaign: opts.id, verdict: v.status, culprits: v.culprits, links: v.links },
      'network test campaign done',
    );
    return {
      record: { ...record, status, verdict: v, finishedAt: at },
      verdict: v,
      observations: culpritObservations(state, v),
    };
  } finally {
    deps.locks.release(opts.id);
  }
}
