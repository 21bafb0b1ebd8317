/**
 * Every finding code the checkpoint engine can emit, with its severity, action and meaning.
 * The engine builds its observations from these rows so the catalog and the code agree.
 */
import type { Action, FindingKind, Severity } from '../../core/finding.ts';

/** One catalog row. */
export interface CkptCatalogEntry {
  code: string;
  severity: Severity;
  action: Action;
  kind: FindingKind;
  meaning: string;
}

export const ckptCatalog = [
  {
    code: 'ckpt.tier.unavailable',
    severity: 'degraded',
    action: 'none',
    kind: 'condition',
    meaning:
      'A checkpoint tier (local NVMe, parallel storage) cannot be written: disk full, path missing or unreachable, no permission, read-only or I/O error. Flushing to that tier pauses and retries by itself; the copies in memory and on faster tiers stay.',
  },
  {
    code: 'ckpt.save.skipped',
    severity: 'warn',
    action: 'none',
    kind: 'event',
    meaning:
      'A training rank skipped a checkpoint save because every shm slot was still being copied out or the memory budget was reached (slot policy `skip`). Training did not stall; that step has no checkpoint.',
  },
  {
    code: 'ckpt.checksum.mismatch',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'event',
    meaning:
      'A checkpoint shard read back with a CRC-32 different from the one recorded when it was first read: the copy is corrupt (memory, disk or storage). Restore fell back to another tier or step.',
  },
  {
    code: 'ckpt.peer.unreachable',
    severity: 'warn',
    action: 'none',
    kind: 'condition',
    meaning:
      'The buddy agent that keeps this node’s in-memory checkpoint replica could not be reached or refused the replica; a node lost before its flush would lose its newest checkpoint.',
  },
] as const satisfies readonly CkptCatalogEntry[];

export type CkptCode = (typeof ckptCatalog)[number]['code'];

/** The catalog row of a code. */
export function ckptEntry(code: CkptCode): CkptCatalogEntry {
  return ckptCatalog.find((e) => e.code === code) as CkptCatalogEntry;
}
