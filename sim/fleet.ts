/**
 * A simulated fleet in one process: a real collector and N real agents (the same AgentDaemon
 * that runs on GPU hosts), each reading its own fixture root through fake tools, so the whole
 * pipeline — probes, health state, stream, collector, dashboard — runs without a GPU cluster.
 * Each agent also takes training reports and checkpoints (its NVMe tier under its node root,
 * parallel storage shared under the fleet dir, where the collector commits), and `training`
 * runs synthetic jobs on the nodes (sim/scheduler.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveAgentConfig } from '../agent/config.ts';
import { AgentDaemon } from '../agent/daemon.ts';
import { resolveCollectorConfig } from '../collector/config.ts';
import { AGENT_WS_PATH, CollectorDaemon } from '../collector/daemon.ts';
import type { Clock } from '../core/clock.ts';
import { mergeConfig } from '../core/config-source.ts';
import type { Logger } from '../core/logger.ts';
import { NodeFeed } from './node-feed.ts';
import { createSimNodeRoot, type SimNodePaths } from './node-root.ts';
import {
  type SimAgentTrainingOptions,
  type SimTrainingNode,
  simAgentTrainingConfig,
  simCollectorConfig,
  simTrainingPaths,
} from './node-training.ts';
import { SimScheduler } from './scheduler.ts';
import { simRunner } from './sim-runner.ts';

export interface SimFleetOptions {
  nodes: number;
  dir: string;
  port: number;
  host?: string;
  clock: Clock;
  log: Logger;
  /** Probe intervals in the simulation (seconds); shorter than production so a demo moves. */
  intervalSec?: number;
  /** The agents' training knobs (detector tick, summary interval, hang floor). */
  training?: SimAgentTrainingOptions;
  /** Merged over every agent's config (e.g. `{ probes: { gpu: { enabled: false } } }`). */
  agentConfig?: Record<string, unknown>;
  /** Merged over the collector's config (e.g. `{ lostAfterMs: 3_600_000 }` with a manual clock). */
  collectorConfig?: Record<string, unknown>;
}

export interface SimFleet {
  collector: CollectorDaemon;
  agents: AgentDaemon[];
  nodes: SimNodePaths[];
  /** Each node's training and checkpoint paths and its report feed, in node order. */
  trainingNodes: SimTrainingNode[];
  /** Synthetic training jobs: start them, inject faults; restarts follow the collector's decisions. */
  training: SimScheduler;
  /** Parallel storage: the agents' `pfs` tier and the collector's `checkpoint.pfsDir`. */
  pfsDir: string;
  clock: Clock;
  stop(): Promise<void>;
}

/** Node names: node01, node02, … */
export function simNodeName(i: number): string {
  return `node${String(i + 1).padStart(2, '0')}`;
}

/** Start the collector and every simulated node's agent. */
export async function startSimFleet(o: SimFleetOptions): Promise<SimFleet> {
  const token = randomBytes(24).toString('base64url');
  const env = { KEELSON_TOKEN: token };
  const pfsDir = join(o.dir, 'pfs');
  await mkdir(pfsDir, { recursive: true });
  const collector = new CollectorDaemon({
    config: resolveCollectorConfig({
      env,
      flags: { port: o.port, host: o.host },
      defaults: { dataDir: join(o.dir, 'collector') },
      // No real scheduler: isolations are enforced into Keelson's own records; SimScheduler plays the scheduler.
      fileText: JSON.stringify(mergeConfig(simCollectorConfig(pfsDir), o.collectorConfig ?? {})),
    }),
    log: o.log,
    clock: o.clock,
  });
  await collector.start();
  const url = `ws://127.0.0.1:${collector.port}${AGENT_WS_PATH}`;
  const interval = o.intervalSec ?? 5;
  const nodes: SimNodePaths[] = [];
  const agents: AgentDaemon[] = [];
  const trainingNodes: SimTrainingNode[] = [];
  await mkdir(o.dir, { recursive: true });
  try {
    for (let i = 0; i < o.nodes; i++) {
      const id = simNodeName(i);
      const n = await createSimNodeRoot(join(o.dir, 'nodes'), id, o.clock.now());
      nodes.push(n);
      const t = simTrainingPaths(n, join(n.root, 'state'));
      // Tier roots are never created by the agent (a missing mount must not become a local dir).
      await mkdir(t.nvmeDir, { recursive: true });
      await mkdir(t.shmRoot, { recursive: true });
      trainingNodes.push({ ...t, paths: n, feed: new NodeFeed(t) });
      const base = {
        labels: {
          rack: `rack${Math.floor(i / 4) + 1}`,
          job: i < Math.ceil(o.nodes / 2) ? 'llm-pretrain' : 'llm-finetune',
        },
        roots: { sys: n.sys, proc: n.proc, dev: n.dev },
        health: { snapshotIntervalSec: 30 },
        probes: {
          host: { intervalSec: 30 },
          gpu: { intervalSec: interval, settings: { expectedCount: 8 } },
          rdma: { intervalSec: interval, settings: { gpuSku: 'H100' } },
          nvme: { intervalSec: interval },
          'host-hw': { intervalSec: 30 },
          driver: { intervalSec: 60 },
        },
      };
      const config = resolveAgentConfig({
        env,
        flags: { collector: url, nodeId: id },
        defaults: { nodeId: id, stateDir: t.stateDir },
        fileText: JSON.stringify(mergeConfig(base, simAgentTrainingConfig(t, pfsDir, o.training), o.agentConfig ?? {})),
      });
      const agent = new AgentDaemon({ config, log: o.log.child({ node: id }), clock: o.clock, runner: simRunner(n) });
      await agent.start();
      agents.push(agent);
    }
  } catch (err) {
    // A node that cannot start leaves nothing running behind it.
    await Promise.all(agents.map((a) => a.stop(0)));
    await collector.stop();
    throw err;
  }
  const training = new SimScheduler({
    nodes: trainingNodes,
    pfsDir,
    clock: o.clock,
    log: o.log,
    isolation: collector.isolation,
  });
  training.start();
  return {
    collector,
    agents,
    nodes,
    trainingNodes,
    training,
    pfsDir,
    clock: o.clock,
    async stop() {
      await training.stop();
      await Promise.all(agents.map((a) => a.stop(1000)));
      await collector.stop();
    },
  };
}
