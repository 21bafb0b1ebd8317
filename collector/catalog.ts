/** Finding codes the collector raises from what it sees across the fleet. */
import type { CatalogEntry } from '../core/catalog.ts';

export const collectorCatalog: readonly CatalogEntry[] = [
  {
    code: 'node.lost',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning:
      'The agent has had no session and sent nothing for lostAfterMs (default 30 s) after a connection that did not end cleanly. Clears when the agent reconnects.',
  },
  {
    code: 'driver.version.drift',
    severity: 'warn',
    action: 'none',
    kind: 'condition',
    meaning:
      'This node runs a driver, CUDA, OFED or NCCL version that differs from the most common one in the fleet; the message names each differing version.',
  },
];
