/** Judges a HostRecord: memory running out and filesystems filling up. Pure. */
import type { Observation } from '../../core/finding.ts';
import type { MetricSample } from '../types.ts';
import type { HostRecord } from './parse.ts';

/** Thresholds the host rules use; config may override them (probes.host.settings). */
export interface HostThresholds {
  memAvailableWarnRatio: number;
  memAvailableDegradedRatio: number;
  fsUsedWarnRatio: number;
  fsUsedDegradedRatio: number;
}

export const DEFAULT_HOST_THRESHOLDS: HostThresholds = {
  memAvailableWarnRatio: 0.05,
  memAvailableDegradedRatio: 0.02,
  fsUsedWarnRatio: 0.9,
  fsUsedDegradedRatio: 0.97,
};

/** Filesystems that are always full or not real storage. */
const IGNORED_FS_TYPES = new Set(['squashfs', 'iso9660', 'devtmpfs', 'efivarfs', 'ramfs', 'overlay']);

const pct = (r: number) => `${(r * 100).toFixed(1)}%`;

/** Findings for one host reading. */
export function judgeHost(rec: HostRecord, t: HostThresholds = DEFAULT_HOST_THRESHOLDS): Observation[] {
  const out: Observation[] = [];
  if (rec.memTotalBytes > 0) {
    const avail = rec.memAvailableBytes / rec.memTotalBytes;
    if (avail < t.memAvailableWarnRatio) {
      out.push({
        code: 'host.memory.low',
        component: 'host',
        severity: avail < t.memAvailableDegradedRatio ? 'degraded' : 'warn',
        action: 'none',
        kind: 'condition',
        message: `only ${pct(avail)} of host memory is available`,
        evidence: `MemAvailable=${rec.memAvailableBytes} MemTotal=${rec.memTotalBytes}`,
      });
    }
  }
  for (const fs of rec.filesystems) {
    if (IGNORED_FS_TYPES.has(fs.type) || fs.sizeBytes === 0) continue;
    // Like df: used / (used + available), so reserved blocks count as full.
    const denom = fs.usedBytes + fs.availableBytes;
    if (denom === 0) continue;
    const used = fs.usedBytes / denom;
    if (used >= t.fsUsedWarnRatio) {
      out.push({
        code: 'host.fs.full',
        component: `fs:${fs.mount}`,
        severity: used >= t.fsUsedDegradedRatio ? 'degraded' : 'warn',
        action: 'none',
        kind: 'condition',
        message: `${fs.mount} is ${pct(used)} full`,
        evidence: `${fs.fs} ${fs.type} size=${fs.sizeBytes} used=${fs.usedBytes} avail=${fs.availableBytes}`,
      });
    }
  }
  return out;
}

/** Samples exported for a host reading. */
export function hostMetrics(rec: HostRecord): MetricSample[] {
  const m: MetricSample[] = [
    { name: 'host_cpus', value: rec.cpus },
    { name: 'host_load1', value: rec.load1 },
    { name: 'host_load5', value: rec.load5 },
    { name: 'host_memory_total_bytes', value: rec.memTotalBytes },
    { name: 'host_memory_available_bytes', value: rec.memAvailableBytes },
  ];
  for (const fs of rec.filesystems) {
    if (IGNORED_FS_TYPES.has(fs.type)) continue;
    m.push({ name: 'host_fs_available_bytes', value: fs.availableBytes, labels: { mount: fs.mount } });
    m.push({ name: 'host_fs_size_bytes', value: fs.sizeBytes, labels: { mount: fs.mount } });
  }
  return m;
}
