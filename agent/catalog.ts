/** Finding codes the agent itself emits (about its probes rather than the hardware). */
import type { CatalogEntry } from '../core/catalog.ts';

export const agentCatalog: readonly CatalogEntry[] = [
  {
    code: 'probe.failed',
    severity: 'warn',
    action: 'none',
    kind: 'condition',
    meaning:
      'A probe threw, timed out, found its command missing, or could not parse its output; the message gives the reason. Its other findings are kept as they were (nothing is known). Clears when the probe next succeeds.',
  },
];
