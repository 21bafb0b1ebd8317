/**
 * Finding codes a network test campaign raises on the culprit it confirms; the isolation policy
 * acts on them. (Codes from parsing a test's output are in probes/nccl/catalog.ts.)
 */
import type { CatalogEntry } from '../../core/catalog.ts';

/** The campaign's codes. */
export const nettestCatalog: readonly CatalogEntry[] = [
  {
    code: 'net.nccl.slow',
    severity: 'degraded',
    action: 'drain',
    kind: 'condition',
    meaning:
      'A bisection of nccl-tests all_reduce_perf runs named this node (component `net`) or a link from it (component `link:<peer>`): every test with it was slow or failed against the baseline for the node type while the same tests without it passed. Also raised by `keelson analyze` for a capture whose busbw is below the baseline (component `net`, action inspect-hardware).',
  },
  {
    code: 'net.ib.bw',
    severity: 'degraded',
    action: 'drain',
    kind: 'condition',
    meaning:
      'A bisection of ib_write_bw (perftest) pairs named this node or a link from it: its RDMA write bandwidth is below ~97% of the link rate minus the tolerance, or its connections fail, while its peers pass with other nodes.',
  },
];
