/**
 * The training and checkpoint side of one simulated node: where its agent's sockets, shm slots
 * and NVMe tier are, the agent config fragments that put them there (plus the restart hook, a
 * real script that records each `job.restart` in a file the simulator watches), and the sim
 * collector's matching `checkpoint.pfsDir`. Pure, apart from the paths it names.
 */
import { join } from 'node:path';
import type { NodeFeed } from './node-feed.ts';
import type { SimNodePaths } from './node-root.ts';

/** The fake site restart script (`training.restart.command`). */
export const SIM_JOB_RESTART = new URL('./fakes/bin/job-restart', import.meta.url).pathname;

/** Where one node's agent takes training reports and checkpoints. */
export interface SimTrainingPaths {
  node: string;
  stateDir: string;
  /** `training.socket`: ranks report here (NDJSON). */
  trainSocket: string;
  /** `api.socket`: the agent's local API. */
  apiSocket: string;
  /** `checkpoint.socket`: writers' notes after a save. */
  ckptSocket: string;
  /** `checkpoint.shmRoot`: the node's shm slots (under its fixture /dev/shm). */
  shmRoot: string;
  /** `checkpoint.nvmeDir`: the node's NVMe tier. */
  nvmeDir: string;
  /** One JSON line per restart the agent's hook ran. */
  restartRequests: string;
}

/** A node as the training simulator uses it. */
export interface SimTrainingNode extends SimTrainingPaths {
  paths: SimNodePaths;
  feed: NodeFeed;
}

/** The paths of a node whose agent keeps its state in `stateDir`. */
export function simTrainingPaths(n: SimNodePaths, stateDir: string): SimTrainingPaths {
  return {
    node: n.id,
    stateDir,
    trainSocket: join(stateDir, 'train.sock'),
    apiSocket: join(stateDir, 'api.sock'),
    ckptSocket: join(stateDir, 'ckpt.sock'),
    shmRoot: join(n.dev, 'shm', 'keelson'),
    nvmeDir: join(n.root, 'nvme'),
    restartRequests: join(n.root, 'job-restarts.ndjson'),
  };
}

/** Training knobs of the simulated agents (real time: a demo must show a hang within seconds). */
export interface SimAgentTrainingOptions {
  /** Detector tick, ms (default 500). */
  tickMs?: number;
  /** Summaries to the collector, ms (default 1000). */
  summaryIntervalMs?: number;
  /** Hang timeout floor, ms (default 6000). */
  hangFloorMs?: number;
  /** Hang grace before the first intervals, ms (default 60 000). */
  hangStartupGraceMs?: number;
  /** Checkpoint state to the collector, ms (default 2000). */
  ckptStateIntervalMs?: number;
}

/** The `api`, `training` and `checkpoint` blocks of a simulated node's agent config. */
export function simAgentTrainingConfig(
  t: SimTrainingPaths,
  pfsDir: string,
  o: SimAgentTrainingOptions = {},
): Record<string, unknown> {
  return {
    api: { socket: t.apiSocket },
    training: {
      socket: t.trainSocket,
      tickMs: o.tickMs ?? 500,
      summaryIntervalMs: o.summaryIntervalMs ?? 1000,
      restart: { command: [SIM_JOB_RESTART, t.restartRequests, '{job}', '{attempt}', '{node}'], timeoutMs: 10_000 },
      detectors: { hang: { floorMs: o.hangFloorMs ?? 6000, startupGraceMs: o.hangStartupGraceMs ?? 60_000 } },
    },
    checkpoint: {
      enabled: true,
      shmRoot: t.shmRoot,
      socket: t.ckptSocket,
      nvmeDir: t.nvmeDir,
      pfsDir,
      stateIntervalMs: o.ckptStateIntervalMs ?? 2000,
    },
  };
}

/**
 * The sim collector's defaults: record-only enforcement with room for a demo's isolations, global
 * commits on `pfsDir`, stragglers named within 20 s.
 */
export function simCollectorConfig(pfsDir: string): Record<string, unknown> {
  return {
    isolation: {
      mode: 'enforce',
      recordOnly: true,
      breaker: { maxFraction: 0.5, maxNodes: 8 },
    },
    checkpoint: { pfsDir },
    training: { straggler: { sustainMs: 20_000, staleMs: 10_000 } },
  };
}
