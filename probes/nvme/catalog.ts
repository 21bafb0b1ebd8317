/**
 * Every finding code the nvme probe and its analyzers can emit, with the worst severity it
 * reaches, its action at that severity, and what it means. The docs are generated from this.
 */
import type { Action, FindingKind, Severity } from '../../core/finding.ts';

/** One catalog row. */
export interface NvmeCatalogEntry {
  code: string;
  severity: Severity;
  action: Action;
  kind: FindingKind;
  meaning: string;
}

/** The nvme area's finding codes. */
export const nvmeCatalog: readonly NvmeCatalogEntry[] = [
  {
    code: 'nvme.critical_warning',
    severity: 'fatal',
    action: 'drain',
    kind: 'condition',
    meaning:
      'The drive set bits of its SMART critical_warning byte (named in the message: spare_below_threshold, temperature, reliability_degraded, read_only, volatile_backup_failed, pmr_read_only). Fatal/drain when reliability is degraded or the media went read-only; otherwise degraded/inspect-hardware.',
  },
  {
    code: 'nvme.media_errors',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning:
      'Unrecovered media and data integrity errors. Degraded when the count grew since the last reading (rate judged over time, drive swaps and resets ignored); warn when errors are on record but not growing (and in single-capture analysis).',
  },
  {
    code: 'nvme.wear',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning:
      'percentage_used (share of rated endurance spent): warn at 80% (none), degraded at 100% (inspect-hardware: plan a replacement). Limits: wearWarnPct, wearDegradedPct.',
  },
  {
    code: 'nvme.spare',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning:
      'Available spare capacity fell below the threshold the drive itself declares; the drive is near its end of life.',
  },
  {
    code: 'nvme.temperature',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning:
      'Composite temperature at or above temperatureWarnC (70 °C, warn) or temperatureCritC (80 °C, degraded): the drive throttles; check airflow.',
  },
  {
    code: 'nvme.controller.state',
    severity: 'degraded',
    action: 'inspect-hardware',
    kind: 'condition',
    meaning:
      'The controller state in /sys/class/nvme/<ctrl>/state is not "live": warn while resetting or connecting, degraded when dead or being deleted.',
  },
  {
    code: 'nvme.smart.unreadable',
    severity: 'warn',
    action: 'none',
    kind: 'condition',
    meaning:
      'nvme smart-log (or smartctl) failed or printed something unparseable for this controller; its health is unknown.',
  },
  {
    code: 'nvme.tool.missing',
    severity: 'warn',
    action: 'none',
    kind: 'condition',
    meaning: 'NVMe controllers exist but neither nvme-cli nor smartctl is installed, so their health cannot be read.',
  },
  {
    code: 'host.disk.full',
    severity: 'degraded',
    action: 'none',
    kind: 'condition',
    meaning:
      'A configured checkpoint directory (settings.checkpointDirs) is at least 90% full (warn) or 97% full (degraded); the NVMe checkpoint tier pauses when it cannot write.',
  },
  {
    code: 'host.disk.unreadable',
    severity: 'warn',
    action: 'none',
    kind: 'condition',
    meaning:
      'statfs of a configured checkpoint directory failed (missing directory, permission, or no answer in time).',
  },
];
