/**
 * A simulated fleet in one process: a real collector and N real agents (the same AgentDaemon
 * that runs on GPU hosts), each reading its own fixture root through fake tools, so the whole
 * pipeline — probes, health state, stream, collector, dashboard — runs without a GPU cluster.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveAgentConfig } from '../agent/config.ts';
import { AgentDaemon } from '../agent/daemon.ts';
import { resolveCollectorConfig } from '../collector/config.ts';
import { AGENT_WS_PATH, CollectorDaemon } from '../collector/daemon.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import { createSimNodeRoot, type SimNodePaths } from './node-root.ts';
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
}

export interface SimFleet {
  collector: CollectorDaemon;
  agents: AgentDaemon[];
  nodes: SimNodePaths[];
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
  const collector = new CollectorDaemon({
    config: resolveCollectorConfig({
      env,
      flags: { port: o.port, host: o.host },
      defaults: { dataDir: join(o.dir, 'collector') },
      // The simulated fleet has no scheduler: isolations are enforced into Keelson's own records.
      fileText: JSON.stringify({ isolation: { mode: 'enforce', recordOnly: true } }),
    }),
    log: o.log,
    clock: o.clock,
  });
  await collector.start();
  const url = `ws://127.0.0.1:${collector.port}${AGENT_WS_PATH}`;
  const interval = o.intervalSec ?? 5;
  const nodes: SimNodePaths[] = [];
  const agents: AgentDaemon[] = [];
  await mkdir(o.dir, { recursive: true });
  for (let i = 0; i < o.nodes; i++) {
    const id = simNodeName(i);
    const n = await createSimNodeRoot(join(o.dir, 'nodes'), id, o.clock.now());
    nodes.push(n);
    const config = resolveAgentConfig({
      env,
      flags: { collector: url, nodeId: id },
      defaults: { nodeId: id, stateDir: join(n.root, 'state') },
      fileText: JSON.stringify({
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
      }),
    });
    const agent = new AgentDaemon({ config, log: o.log.child({ node: id }), clock: o.clock, runner: simRunner(n) });
    await agent.start();
    agents.push(agent);
  }
  return {
    collector,
    agents,
    nodes,
    async stop() {
      await Promise.all(agents.map((a) => a.stop(1000)));
      await collector.stop();
    },
  };
}
