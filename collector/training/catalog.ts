/** Finding codes the collector raises from cross-node training analysis. */
import type { CatalogEntry } from '../../core/catalog.ts';

export const collectorTrainingCatalog: readonly CatalogEntry[] = [
  {
    code: 'train.straggler',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning:
      "This node's step time has been ≥ 10% (threshold) above the median of the job's other nodes over the whole sustain window (default 60 s, ≥ 5 summaries); raised on that node only. Clears when it catches up or leaves the job.",
  },
  {
    code: 'train.hang.suspect',
    severity: 'degraded',
    action: 'restart-job',
    kind: 'condition',
    meaning:
      "A job-wide hang points at this node: it stopped reporting while the others waited, it is behind the others' step, or it is the one node with a degraded/fatal hardware finding (then the action is drain). Clears when the job moves again.",
  },
];
