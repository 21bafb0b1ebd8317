/**
 * Scripted fault scenarios for the simulated fleet: plain data (when, which node, what), played
 * by `playScenario`. The default one shows each kind of failure Keelson handles.
 */
import type { Clock } from '../core/clock.ts';
import { injectXid, setGpuRowRemapFailure, setIbPort, setNvmeWear } from './faults.ts';
import type { SimNodePaths } from './node-root.ts';

/** One scripted step. `node` is an index into the fleet (wrapped when the fleet is smaller). */
export type ScenarioStep =
  | { atSec: number; node: number; fault: 'xid'; xid: number; gpu: number }
  | { atSec: number; node: number; fault: 'ib-port'; device: string; up: boolean }
  | { atSec: number; node: number; fault: 'nvme-wear'; percentUsed: number }
  | { atSec: number; node: number; fault: 'row-remap-failure'; failed: boolean };

function flap(atSec: number, node: number, device: string, times: number, everySec: number): ScenarioStep[] {
  const steps: ScenarioStep[] = [];
  for (let i = 0; i < times; i++) {
    steps.push({ atSec: atSec + i * everySec * 2, node, fault: 'ib-port', device, up: false });
    steps.push({ atSec: atSec + i * everySec * 2 + everySec, node, fault: 'ib-port', device, up: true });
  }
  return steps;
}

/** The named scenarios. */
export const SCENARIOS: Record<string, { description: string; steps: ScenarioStep[] }> = {
  default: {
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

/** Apply one step to its node. */
export async function applyStep(step: ScenarioStep, nodes: readonly SimNodePaths[], now: number): Promise<string> {
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
  }
}

/** Play a scenario against a fleet; returns a function that cancels what has not happened yet. */
export function playScenario(
  steps: readonly ScenarioStep[],
  nodes: readonly SimNodePaths[],
  clock: Clock,
  onStep: (what: string, step: ScenarioStep) => void,
  onError: (err: unknown) => void,
): () => void {
  const timers = [...steps]
    .sort((a, b) => a.atSec - b.atSec)
    .map((step) =>
      setTimeout(() => {
        applyStep(step, nodes, clock.now()).then((what) => onStep(what, step), onError);
      }, step.atSec * 1000),
    );
  return () => {
    for (const t of timers) clearTimeout(t);
  };
}
