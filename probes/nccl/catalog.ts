/**
 * Finding codes that parsing a network test's output can raise (`keelson analyze`, and the
 * agent running a test). The culprit codes of a bisection campaign (`net.nccl.slow` on a node,
 * `net.ib.bw`) are in collector/nettest/catalog.ts; the analyzers use the same codes for a
 * slow capture.
 */
import type { CatalogEntry } from '../../core/catalog.ts';

/** The nccl/perftest output codes. */
export const ncclCatalog: readonly CatalogEntry[] = [
  {
    code: 'net.nccl.wrong',
    severity: 'fatal',
    action: 'inspect-hardware',
    kind: 'event',
    meaning:
      'nccl-tests validation found wrong results (#wrong > 0 or "Out of bounds values : N FAILED"): a GPU, NVLink or NIC on one of the tested nodes corrupts data. Bisect to find which.',
  },
  {
    code: 'net.nccl.error',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'event',
    meaning:
      'nccl-tests failed ("Test NCCL failure common.cu:…", "Test failure", or an NCCL WARN before the summary): a node could not connect or its transport failed; misconfiguration (NCCL_IB_HCA, NCCL_ALGO) shows the same way.',
  },
  {
    code: 'net.nccl.incomplete',
    severity: 'warn',
    action: 'none',
    kind: 'event',
    meaning:
      'nccl-tests output stops before "# Out of bounds values" / "# Avg bus bandwidth" with no failure line: the run hung or was killed at its time limit, or the capture is cut.',
  },
  {
    code: 'net.ib.error',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'event',
    meaning:
      'ib_write_bw (perftest) failed: "Couldn\'t connect", "Failed to modify QP to RTR", a completion with error, or no result row.',
  },
];
