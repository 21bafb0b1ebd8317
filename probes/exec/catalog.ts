/** The finding code family of site-defined checks (`checks:` in the agent config). */
import type { CatalogEntry } from '../../core/catalog.ts';

export const execCatalog: readonly CatalogEntry[] = [
  {
    code: 'check.<name>',
    severity: 'warn',
    action: 'none',
    kind: 'condition',
    meaning:
      'A site check exited 1; the message is its first line of output. Severity, action and code are set per check in the config; checks with `format: json` emit their own codes.',
  },
];
