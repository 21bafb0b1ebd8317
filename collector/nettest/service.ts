/**
 * Network-test campaigns as the collector runs them: started by an operator over the API,
 * one at a time per node, never on nodes running a job unless forced, every round and the
 * verdict stored; a confirmed culprit becomes a finding on that node (`net.nccl.slow`,
 * `net.ib.bw`) that the isolation policy can act on.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import type { Finding, Observation } from '../../core/finding.ts';
import type { Logger } from '../../core/logger.ts';
import { runCampaign } from './campaign.ts';
import { NodeLocks } from './locks.ts';
import type { CampaignStore } from './store.ts';
import type { TestKind, TestRunner } from './types.ts';

export interface NetTestServiceDeps {
  runner: TestRunner;
  store: CampaignStore;
  clock: Clock;
  log: Logger;
  /** Nodes among these that run a job now. */
  busyNodes(nodes: string[]): string[];
  /** Raise a finding on a node (collector-owned). */
  raise(node: string, finding: Finding): void;
  /** Clear a node's earlier culprit finding of this kind (it passed now). */
  clear(node: string, code: string): void;
}

export class NetTestService {
  private readonly locks = new NodeLocks();

  constructor(private readonly d: NetTestServiceDeps) {}

  /** Start a campaign in the background; returns its id at once (NETTEST_BUSY when a node is in another one). */
  start(o: { nodes: string[]; kind?: TestKind; force?: boolean; testTimeoutMs?: number }): string {
    const id = randomUUID();
    const run = runCampaign(
      {
        id,
        kind: o.kind ?? 'nccl-allreduce',
        nodes: o.nodes,
        force: o.force ?? false,
        testTimeoutMs: o.testTimeoutMs ?? 120_000,
      },
      {
        runner: this.d.runner,
        store: this.d.store,
        locks: this.locks,
        clock: this.d.clock,
        busyNodes: (nodes) => this.d.busyNodes(nodes),
        log: this.d.log,
      },
    );
    run.then(
      (outcome) => {
        const now = this.d.clock.now();
        const code = outcome.record.kind === 'ib-write-bw' ? 'net.ib.bw' : 'net.nccl.slow';
        const culprits = new Set(outcome.observations.map((o) => o.node));
        if (outcome.verdict.status === 'healthy' || outcome.verdict.status === 'found') {
          for (const node of outcome.record.nodes) if (!culprits.has(node)) this.d.clear(node, code);
        }
        for (const { node, observation } of outcome.observations) this.d.raise(node, findingOf(observation, now));
        this.d.log.info(
          { id, culprits: outcome.verdict.culprits, rounds: outcome.verdict.rounds },
          'network test campaign done',
        );
      },
      (err) => this.d.log.error({ err, id }, 'network test campaign failed'),
    );
    return id;
  }
}

function findingOf(o: Observation, now: number): Finding {
  return { ...o, firstSeen: o.at ?? now, lastSeen: now, count: 1 };
}
