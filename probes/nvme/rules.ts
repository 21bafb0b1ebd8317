/**
 * Pure NVMe rules: SMART health (critical_warning bits, media errors as a counter over time,
 * wear, spare, temperature), controller state from sysfs, and free space on the checkpoint
 * volumes. Record + previous reading + time in, observations out.
 */
import { type CounterReading, counterDelta, counterRatePerSec } from '../../core/counter.ts';
import { capEvidence, type Observation, type Severity } from '../../core/finding.ts';
import { CRITICAL_WARNING_BITS, type CriticalWarningBit, decodeCriticalWarning, type SmartHealth } from './parse.ts';

/** Limits the NVMe rules judge against. */
export interface NvmeThresholds {
  /** percentage_used at or above this warns. */
  wearWarnPct: number;
  /** percentage_used at or above this is degraded (rated endurance spent). */
  wearDegradedPct: number;
  /** Composite temperature (Celsius) at or above this warns. */
  temperatureWarnC: number;
  /** Composite temperature (Celsius) at or above this is degraded. */
  temperatureCritC: number;
  /** Used fraction of a checkpoint volume at or above this warns. */
  diskWarnRatio: number;
  /** Used fraction of a checkpoint volume at or above this is degraded. */
  diskDegradedRatio: number;
}

/** The default limits. */
export const DEFAULT_NVME_THRESHOLDS: NvmeThresholds = {
  wearWarnPct: 80,
  wearDegradedPct: 100,
  temperatureWarnC: 70,
  temperatureCritC: 80,
  diskWarnRatio: 0.9,
  diskDegradedRatio: 0.97,
};

/** critical_warning bits that mean the drive is failing (data at risk or writes refused). */
const FATAL_BITS: readonly CriticalWarningBit[] = ['reliability_degraded', 'read_only'];

function criticalWarning(component: string, h: SmartHealth): Observation[] {
  if (h.criticalWarning === 0) return [];
  const bits = decodeCriticalWarning(h.criticalWarning);
  const fatal = bits.some((b) => FATAL_BITS.includes(b));
  const texts = CRITICAL_WARNING_BITS.filter((b) => bits.includes(b.name)).map((b) => `${b.name} (${b.text})`);
  const named = texts.length > 0 ? texts.join(', ') : 'reserved bits only';
  return [
    {
      code: 'nvme.critical_warning',
      component,
      severity: fatal ? 'fatal' : 'degraded',
      action: fatal ? 'drain' : 'inspect-hardware',
      kind: 'condition',
      message: `${component} reports critical warning 0x${h.criticalWarning.toString(16).padStart(2, '0')}: ${named}`,
      evidence: capEvidence(
        `critical_warning=0x${h.criticalWarning.toString(16).padStart(2, '0')} [${bits.join(',')}]`,
      ),
    },
  ];
}

function mediaErrors(
  component: string,
  h: SmartHealth,
  prev: CounterReading | undefined,
  now: number,
): { observations: Observation[]; reading?: CounterReading } {
  if (h.mediaErrors === undefined) return { observations: [] };
  const reading: CounterReading = { value: h.mediaErrors, at: now };
  const delta = counterDelta(prev, reading);
  const evidence = capEvidence(`media_errors=${h.mediaErrors}`);
  if (delta !== undefined && delta > 0) {
    const perHour = (counterRatePerSec(prev, reading) ?? 0) * 3600;
    return {
      reading,
      observations: [
        {
          code: 'nvme.media_errors',
          component,
          severity: 'degraded',
          action: 'inspect-hardware',
          kind: 'condition',
          message: `${component} media and data integrity errors grew by ${delta} to ${h.mediaErrors} (${perHour.toFixed(1)}/h)`,
          evidence,
        },
      ],
    };
  }
  if (h.mediaErrors > 0) {
    return {
      reading,
      observations: [
        {
          code: 'nvme.media_errors',
          component,
          severity: 'warn',
          action: 'none',
          kind: 'condition',
          message: `${component} has ${h.mediaErrors} media and data integrity errors on record (not growing since the last reading)`,
          evidence,
        },
      ],
    };
  }
  return { reading, observations: [] };
}

function wear(component: string, h: SmartHealth, t: NvmeThresholds): Observation[] {
  const used = h.percentageUsed;
  if (used === undefined || used < t.wearWarnPct) return [];
  const degraded = used >= t.wearDegradedPct;
  return [
    {
      code: 'nvme.wear',
      component,
      severity: degraded ? 'degraded' : 'warn',
      action: degraded ? 'inspect-hardware' : 'none',
      kind: 'condition',
      message: `${component} has used ${used}% of its rated endurance${degraded ? ' (worn out; replace it)' : ''}`,
      evidence: `percentage_used=${used}`,
    },
  ];
}

function spare(component: string, h: SmartHealth): Observation[] {
  const { availableSpare: s, availableSpareThreshold: th } = h;
  if (s === undefined || th === undefined || s >= th) return [];
  return [
    {
      code: 'nvme.spare',
      component,
      severity: 'degraded',
      action: 'inspect-hardware',
      kind: 'condition',
      message: `${component} available spare ${s}% is below its threshold ${th}%`,
      evidence: `available_spare=${s} available_spare_threshold=${th}`,
    },
  ];
}

function temperature(component: string, h: SmartHealth, t: NvmeThresholds): Observation[] {
  const c = h.temperatureC;
  if (c === undefined || c < t.temperatureWarnC) return [];
  const hot = c >= t.temperatureCritC;
  return [
    {
      code: 'nvme.temperature',
      component,
      severity: hot ? 'degraded' : 'warn',
      action: hot ? 'inspect-hardware' : 'none',
      kind: 'condition',
      message: `${component} composite temperature ${c} °C is at or above ${hot ? t.temperatureCritC : t.temperatureWarnC} °C`,
      evidence: `temperature=${c}C`,
    },
  ];
}

/** All SMART health rules for one controller; `prevMedia` is the last media_errors reading of the same drive. */
export function evaluateSmartHealth(
  component: string,
  h: SmartHealth,
  prevMedia: CounterReading | undefined,
  now: number,
  t: NvmeThresholds = DEFAULT_NVME_THRESHOLDS,
): { observations: Observation[]; media?: CounterReading } {
  const media = mediaErrors(component, h, prevMedia, now);
  const observations = [
    ...criticalWarning(component, h),
    ...media.observations,
    ...wear(component, h, t),
    ...spare(component, h),
    ...temperature(component, h, t),
  ];
  return media.reading ? { observations, media: media.reading } : { observations };
}

/** A controller whose sysfs `state` is not `live` (resetting, dead, deleting...). */
export function evaluateControllerState(name: string, state: string | undefined): Observation[] {
  if (state === undefined || state === 'live') return [];
  const dead = state === 'dead' || state === 'deleting';
  return [
    {
      code: 'nvme.controller.state',
      component: name,
      severity: dead ? 'degraded' : 'warn',
      action: dead ? 'inspect-hardware' : 'none',
      kind: 'condition',
      message: `${name} controller state is "${state}", not "live"`,
      evidence: capEvidence(`state=${state}`),
    },
  ];
}

/** Space on one checkpoint volume, from statfs. */
export interface VolumeUsage {
  path: string;
  totalBytes: number;
  /** Free blocks including those reserved for root. */
  freeBytes: number;
  /** Free blocks available to unprivileged users. */
  availBytes: number;
}

/** Used fraction the way df computes it: used / (used + available to users). */
export function usedRatio(v: VolumeUsage): number | undefined {
  const used = v.totalBytes - v.freeBytes;
  const denom = used + v.availBytes;
  if (!(denom > 0) || used < 0) return undefined;
  return used / denom;
}

/** `host.disk.full` on a checkpoint volume at the warn / degraded used fractions. */
export function evaluateVolume(v: VolumeUsage, t: NvmeThresholds = DEFAULT_NVME_THRESHOLDS): Observation[] {
  const ratio = usedRatio(v);
  if (ratio === undefined || ratio < t.diskWarnRatio) return [];
  const severity: Severity = ratio >= t.diskDegradedRatio ? 'degraded' : 'warn';
  const pct = (ratio * 100).toFixed(1);
  return [
    {
      code: 'host.disk.full',
      component: `mount:${v.path}`,
      severity,
      action: 'none',
      kind: 'condition',
      message: `checkpoint volume ${v.path} is ${pct}% full (${v.availBytes} bytes available)`,
      evidence: `used=${pct}% total=${v.totalBytes} avail=${v.availBytes}`,
    },
  ];
}
