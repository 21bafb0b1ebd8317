/** Every finding code the host probe can emit. */
import type { CatalogEntry } from '../../core/catalog.ts';

export const hostCatalog: readonly CatalogEntry[] = [
  {
    code: 'host.memory.low',
    severity: 'degraded',
    action: 'none',
    kind: 'condition',
    meaning: 'Available host memory is below 5% of the total (warn), or below 2% (degraded).',
  },
  {
    code: 'host.fs.full',
    severity: 'degraded',
    action: 'none',
    kind: 'condition',
    meaning:
      'A local filesystem is at least 90% full (warn) or 97% (degraded), counted like df (reserved blocks count as used); squashfs, overlay and other pseudo filesystems are ignored.',
  },
];
