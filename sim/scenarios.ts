/**
 * Scripted fault scenarios for the simulated fleet: plain data (when, which node, what), played
 * by `playScenario`. Hardware faults rewrite what a node's probes read; training steps start
 * synthetic jobs and break them (sim/training.ts), given the fleet's scheduler. The default
 * one shows each kind of failure Keelson handles; `training` only the training ones.
 */
import type { Clock } from '../core/clock.ts';
import { injectXid, setGpuRowRemapFailure, setIbPort, setNvmeWear } from './faults.ts';
import type { SimNodePaths } from './node-root.ts';
import type { SimScheduler } from './scheduler.ts';
import type { SimNodeFailure } from './training.ts';

/** One scripted step. `node` is an index into the fleet (wrapped when the fleet is smaller). */
export type ScenarioStep =
  | { atSec: number; node: number; fault: 'xid'; xid: number; gpu: number }
  | { atSec: number; node: number; fault: 'ib-port'; device: string; up: boolean }
  | { atSec: number; node: number; fault: 'nvme-wear'; percentUsed: number }
  | { atSec: number; node: number; fault: 'row-remap-failure'; failed: boolean }
  /** Start `job` on `nodes` free nodes from `node` on, stepping in real time. */
  | {
      atSec: number;
      node: number;
      fault: 'job-start';
      job: string;
      nodes: number;
      ranksPerNode?: number;
      stepMs?: number;
      checkpointEvery?: number;
    }
  /** The job running on `node` hangs (or goes on). */
  | { atSec: number; node: number; fault: 'hang'; hung: boolean }
  /** `node` computes `factor` × slower than its job's other nodes (1 = normal again). */
  | { atSec: number; node: number; fault: 'straggler'; factor: number }
  /** An Xid 79 on `node` while it trains: its ranks die. */
  | { atSec: number; node: number; fault: 'xid-mid-training'; gpu: number }
  /** `node` dies (Xid 79) during its job's next checkpoint: that step never commits. */
  | { atSec: number; node: number; fault: 'ckpt-node-fail'; gpu: number };

function flap(atSec: number, node: number, device: string, times: number, everySec: number): ScenarioStep[] {
  const steps: ScenarioStep[] = [];
  for (let i = 0; i < times; i++) {
    steps.push({ atSec: atSec + i * everySec * 2, node, fault: 'ib-port', device, up: false });
    steps.push({ atSec: atSec + i * everySec * 2 + everySec, node, fault: 'ib-port', device, up: true });
  }
  return steps;
}

/**
 * Two jobs on the 16 default nodes — llm-pretrain on node01-06 (1 s steps, a checkpoint every
 * 10), llm-finetune on node09-12 (0.7 s steps, every 15) — leave node07, node08 and node13 as
 * spares; the hardware faults hit the nodes beyond them.
 */
const TRAINING_STEPS: ScenarioStep[] = [
  { atSec: 1, node: 0, fault: 'job-start', job: 'llm-pretrain', nodes: 6, stepMs: 1000, checkpointEvery: 10 },
  { atSec: 1, node: 8, fault: 'job-start', job: 'llm-finetune', nodes: 4, stepMs: 700, checkpointEvery: 15 },
  { atSec: 15, node: 9, fault: 'straggler', factor: 1.5 },
  { atSec: 35, node: 2, fault: 'xid-mid-training', gpu: 2 },
  { atSec: 55, node: 8, fault: 'hang', hung: true },
  { atSec: 70, node: 9, fault: 'straggler', factor: 1 },
  { atSec: 80, node: 4, fault: 'ckpt-node-fail', gpu: 5 },
];

/** The named scenarios. */
export const SCENARIOS: Record<string, { description: string; steps: ScenarioStep[] }> = {
  default: {
    description:
      'two training jobs; a straggler, an Xid 79 mid-training, a hang, a node lost during a checkpoint; an InfiniBand port flapping, an NVMe wearing out, a GPU whose row remapping failed',
    steps: [
      ...TRAINING_STEPS,
      ...flap(20, 13, 'mlx5_3', 4, 3),
      { atSec: 30, node: 15, fault: 'nvme-wear', percentUsed: 85 },
      { atSec: 45, node: 15, fault: 'nvme-wear', percentUsed: 100 },
      { atSec: 40, node: 14, fault: 'row-remap-failure', failed: true },
    ],
  },
  training: {
    description: 'two training jobs: a straggler, an Xid 79 mid-training, a hang, a node lost during a checkpoint',
    steps: TRAINING_STEPS,
  },
  hardware: {
    description: 'an Xid 79, an InfiniBand port flapping, an NVMe wearing out, a GPU whose row remapping failed',
    steps: [
      { atSec: 10, node: 2, fault: 'xid', xid: 79, gpu: 2 },
      ...flap(20, 6, 'mlx5_3', 4, 3),
      { atSec: 30, node: 10, fault: 'nvme-wear', percentUsed: 85 },
      { atSec: 45, node: 10, fault: 'nvme-wear', percentUsed: 100 },
      { atSec: 40, node: 4, fault: 'row-remap-failure', failed: true },
    ],
  },
  quiet: { description: 'no faults: a healthy fleet', steps: [] },
};

/**
 * Apply one step. Training steps need the fleet's scheduler (`training`); without it they are
 * skipped and say so.
 */
export async function applyStep(
  step: ScenarioStep,
  nodes: readonly SimNodePaths[],
  now: number,
  training?: SimScheduler,
): Promise<string> {
  const n = nodes[step.node % nodes.length]!;
  switch (step.fault) {
    case 'xid':
      await injectXid(n, step.xid, step.gpu, now);
      return `${n.id}: Xid ${step.xid} on GPU ${step.gpu}`;
    case 'ib-port':
      await setIbPort(n, step.device, step.up);
      return `${n.id}: ${step.device} port ${step.up ? 'up' : 'down'}`;
    case 'nvme-wear':
      await setNvmeWear(n, step.percentUsed);
      return `${n.id}: NVMe ${step.percentUsed}% used`;
    case 'row-remap-failure':
      await setGpuRowRemapFailure(n, step.failed);
      return `${n.id}: row remapping ${step.failed ? 'failed' : 'healthy'}`;
    default:
      if (!training) return `${n.id}: ${step.fault} skipped (no training simulator)`;
      return applyTrainingStep(step, n, nodes, now, training);
  }
}

type TrainingStep = Extract<
  ScenarioStep,
  { fault: 'job-start' | 'hang' | 'straggler' | 'xid-mid-training' | 'ckpt-node-fail' }
>;

async function applyTrainingStep(
  step: TrainingStep,
  n: SimNodePaths,
  nodes: readonly SimNodePaths[],
  now: number,
  training: SimScheduler,
): Promise<string> {
  if (step.fault === 'job-start') {
    const free = new Set(training.spares());
    const picked: string[] = [];
    for (let k = 0; k < nodes.length && picked.length < step.nodes; k++) {
      const id = nodes[(step.node + k) % nodes.length]!.id;
      if (free.has(id) && !picked.includes(id)) picked.push(id);
    }
    if (picked.length === 0) return `${step.job}: not started (no free node)`;
    const job = await training.startJob({
      job: step.job,
      nodes: picked,
      ...(step.ranksPerNode !== undefined ? { ranksPerNode: step.ranksPerNode } : {}),
      ...(step.stepMs !== undefined ? { stepMs: step.stepMs } : {}),
      ...(step.checkpointEvery !== undefined ? { checkpointEvery: step.checkpointEvery } : {}),
    });
    job.run();
    return `${step.job}: started on ${picked.join(',')} (${job.world} ranks)`;
  }
  const job = training.jobOn(n.id);
  if (!job) return `${n.id}: ${step.fault} skipped (no job runs there)`;
  switch (step.fault) {
    case 'hang':
      if (step.hung) job.hang();
      else job.resume();
      return `${job.name}: ${step.hung ? 'hangs' : 'goes on'}`;
    case 'straggler':
      job.slow(n.id, step.factor);
      return `${n.id}: ${job.name} ${step.factor === 1 ? 'back to normal speed' : `steps ${step.factor}× slower (straggler)`}`;
    case 'xid-mid-training':
      job.failNode(n.id);
      await injectXid(n, 79, step.gpu, now);
      return `${n.id}: Xid 79 on GPU ${step.gpu} while training ${job.name} at step ${job.lastStep}`;
    case 'ckpt-node-fail': {
      const onFail = (f: SimNodeFailure) => {
        if (f.node !== n.id || !f.duringCheckpoint) return;
        job.off('node-failed', onFail);
        // Stamped with the time of the failure, not of the scenario step.
        void injectXid(n, 79, step.gpu, training.now()).catch(() => undefined);
      };
      job.on('node-failed', onFail);
      job.failNodeAtNextCheckpoint(n.id);
      return `${n.id}: will fail (Xid 79) during ${job.name}'s next checkpoint`;
    }
  }
}

/** Play a scenario against a fleet in real time; returns a function that cancels what has not happened yet. */
export function playScenario(
  steps: readonly ScenarioStep[],
  nodes: readonly SimNodePaths[],
  clock: Clock,
  onStep: (what: string, step: ScenarioStep) => void,
  onError: (err: unknown) => void,
  training?: SimScheduler,
): () => void {
  const timers = [...steps]
    .sort((a, b) => a.atSec - b.atSec)
    .map((step) =>
      setTimeout(() => {
        applyStep(step, nodes, clock.now(), training).then((what) => onStep(what, step), onError);
      }, step.atSec * 1000),
    );
  return () => {
    for (const t of timers) clearTimeout(t);
  };
}
