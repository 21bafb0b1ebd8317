/**
 * Every finding code the host-hw probe can emit, with its worst severity, action and meaning.
 */
import type { Action, FindingKind, Severity } from '../../core/finding.ts';

/** One catalog row. */
export interface HostHwCatalogEntry {
  code: string;
  severity: Severity;
  action: Action;
  kind: FindingKind;
  meaning: string;
}

/** The host-hw area's finding codes. */
export const hostHwCatalog: readonly HostHwCatalogEntry[] = [
  {
    code: 'host.edac.ue',
    severity: 'fatal',
    action: 'drain',
    kind: 'condition',
    meaning:
      'An EDAC memory controller counted uncorrectable memory errors since boot (/sys/devices/system/edac/mc/mc*/ue_count > 0). Sticky until reboot; the DIMM needs replacing.',
  },
  {
    code: 'host.edac.ce',
    severity: 'warn',
    action: 'none',
    kind: 'condition',
    meaning:
      'Correctable memory errors arrive at edacCePerHourWarn (10/h) or faster across EDAC memory controllers: a DIMM is degrading and may soon fail uncorrectably.',
  },
  {
    code: 'host.shm.small',
    severity: 'warn',
    action: 'none',
    kind: 'condition',
    meaning:
      '/dev/shm is smaller than checkpointBudgetBytes, so in-memory checkpoints do not fit and saves fall back to slower tiers.',
  },
  {
    code: 'host.mount.missing',
    severity: 'degraded',
    action: 'none',
    kind: 'condition',
    meaning:
      'A configured mount (settings.mounts) is absent from the mount table, of the wrong file system type, or its path does not exist: checkpoints or data on it are unreachable.',
  },
  {
    code: 'host.mount.hung',
    severity: 'degraded',
    action: 'none',
    kind: 'condition',
    meaning:
      'statfs of a configured mount, run in a child process, did not answer within mountTimeoutMs (5 s): a hung NFS/Lustre/GPFS client; any process touching it will block.',
  },
  {
    code: 'host.mount.error',
    severity: 'warn',
    action: 'none',
    kind: 'condition',
    meaning:
      'A configured mount could not be checked (stat failed for another reason than missing or hung, e.g. permission).',
  },
  {
    code: 'host.clock.unsynced',
    severity: 'warn',
    action: 'none',
    kind: 'condition',
    meaning:
      'chronyc tracking says "Not synchronised" or timedatectl says NTPSynchronized=no: timestamps across nodes cannot be compared.',
  },
  {
    code: 'host.clock.offset',
    severity: 'warn',
    action: 'none',
    kind: 'condition',
    meaning: "chrony's system clock offset exceeds clockMaxOffsetMs (100 ms).",
  },
];
