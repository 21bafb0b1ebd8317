/**
 * Pure rules for host hardware extras: EDAC memory error counters (uncorrectable = fatal,
 * correctable judged as a rate), /dev/shm size against the checkpoint budget, configured
 * mounts present and answering, and clock synchronisation.
 */
import { type CounterReading, counterDelta } from '../../core/counter.ts';
import { capEvidence, type Observation } from '../../core/finding.ts';
import type { ChronyTracking, TimedatectlShow } from './parse.ts';

/** Counts of one EDAC memory controller. */
export interface EdacController {
  /** `mc0`, `mc1`... */
  mc: string;
  ce: number;
  ue: number;
  /** The controller's mc_name (e.g. `Intel_10nm Socket#0 IMC#0`), when readable. */
  name?: string;
}

/** EDAC readings kept between runs, per controller. */
export type EdacState = Record<string, { ce: CounterReading; ue: CounterReading }>;

/**
 * `host.edac.ue` (fatal, drain, sticky until reboot) while any controller has uncorrectable errors
 * since boot; `host.edac.ce` (warn) when correctable errors arrive at `cePerHourWarn` or faster.
 */
export function evaluateEdac(
  controllers: readonly EdacController[],
  prev: EdacState | undefined,
  now: number,
  bootId: string | undefined,
  cePerHourWarn: number,
): { observations: Observation[]; state: EdacState } {
  const state: EdacState = {};
  const observations: Observation[] = [];
  const ueParts: string[] = [];
  let ueGrowth = 0;
  let ceDelta = 0;
  let ceSpanMs = 0;
  const ceParts: string[] = [];
  for (const c of controllers) {
    const ce: CounterReading = { value: c.ce, at: now, ...(bootId ? { bootId } : {}) };
    const ue: CounterReading = { value: c.ue, at: now, ...(bootId ? { bootId } : {}) };
    state[c.mc] = { ce, ue };
    const p = prev?.[c.mc];
    if (c.ue > 0) {
      const d = counterDelta(p?.ue, ue);
      if (d) ueGrowth += d;
      ueParts.push(`${c.mc}${c.name ? ` (${c.name})` : ''} ue_count=${c.ue}${d ? ` (+${d})` : ''}`);
    }
    const dce = counterDelta(p?.ce, ce);
    if (dce !== undefined && p) {
      ceSpanMs = Math.max(ceSpanMs, now - p.ce.at);
      if (dce > 0) {
        ceDelta += dce;
        ceParts.push(`${c.mc} ce_count=${c.ce} (+${dce})`);
      }
    }
  }
  if (ueParts.length > 0) {
    observations.push({
      code: 'host.edac.ue',
      component: 'host',
      severity: 'fatal',
      action: 'drain',
      kind: 'condition',
      sticky: true,
      message: `uncorrectable memory errors since boot${ueGrowth ? ` (${ueGrowth} new since the last reading)` : ''}: ${ueParts.join(', ')}`,
      evidence: capEvidence(ueParts.join('; ')),
    });
  }
  if (ceDelta > 0 && ceSpanMs > 0) {
    const perHour = (ceDelta * 3_600_000) / ceSpanMs;
    if (perHour >= cePerHourWarn) {
      observations.push({
        code: 'host.edac.ce',
        component: 'host',
        severity: 'warn',
        action: 'none',
        kind: 'condition',
        message: `correctable memory errors at ${perHour.toFixed(1)}/h (limit ${cePerHourWarn}/h): ${ceParts.join(', ')}`,
        evidence: capEvidence(ceParts.join('; ')),
      });
    }
  }
  return { observations, state };
}

/** `host.shm.small` when /dev/shm is smaller than the checkpoint budget. */
export function evaluateShm(totalBytes: number, budgetBytes: number | undefined): Observation[] {
  if (budgetBytes === undefined || totalBytes >= budgetBytes) return [];
  const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB`;
  return [
    {
      code: 'host.shm.small',
      component: 'host',
      severity: 'warn',
      action: 'none',
      kind: 'condition',
      message: `/dev/shm is ${gib(totalBytes)}, smaller than the ${gib(budgetBytes)} checkpoint budget; in-memory checkpoints will not fit`,
      evidence: `shm_size=${totalBytes} budget=${budgetBytes}`,
    },
  ];
}

/** The outcome of checking one configured mount. */
export type MountCheck =
  | { path: string; status: 'ok'; fstype: string }
  | { path: string; status: 'missing'; why: string }
  | { path: string; status: 'hung'; waitedMs: number }
  | { path: string; status: 'error'; why: string };

/** `host.mount.missing` / `host.mount.hung` (degraded) for a configured mount. */
export function evaluateMount(c: MountCheck): Observation[] {
  const component = `mount:${c.path}`;
  switch (c.status) {
    case 'ok':
      return [];
    case 'missing':
      return [
        {
          code: 'host.mount.missing',
          component,
          severity: 'degraded',
          action: 'none',
          kind: 'condition',
          message: `configured mount ${c.path} is not mounted: ${c.why}`,
          evidence: capEvidence(c.why),
        },
      ];
    case 'hung':
      return [
        {
          code: 'host.mount.hung',
          component,
          severity: 'degraded',
          action: 'none',
          kind: 'condition',
          message: `${c.path} did not answer statfs within ${c.waitedMs} ms (hung network or parallel file system)`,
          evidence: `stat -f ${c.path}: no answer after ${c.waitedMs} ms`,
        },
      ];
    case 'error':
      return [
        {
          code: 'host.mount.error',
          component,
          severity: 'warn',
          action: 'none',
          kind: 'condition',
          message: `${c.path} could not be checked: ${c.why}`,
          evidence: capEvidence(c.why),
        },
      ];
  }
}

/** Clock state from whichever tool answered. */
export type ClockReading =
  | { source: 'chrony'; tracking: ChronyTracking }
  | { source: 'timedatectl'; show: TimedatectlShow };

/** `host.clock.unsynced` (warn) when not synchronised; `host.clock.offset` (warn) when chrony's offset exceeds the limit. */
export function evaluateClock(r: ClockReading, maxOffsetMs: number): Observation[] {
  const unsynced = (evidence: string): Observation => ({
    code: 'host.clock.unsynced',
    component: 'host',
    severity: 'warn',
    action: 'none',
    kind: 'condition',
    message: `the system clock is not synchronised (${r.source})`,
    evidence: capEvidence(evidence),
  });
  if (r.source === 'timedatectl') {
    return r.show.ntpSynchronized
      ? []
      : [unsynced(`NTPSynchronized=no${r.show.ntpEnabled === false ? ' NTP=no' : ''}`)];
  }
  const t = r.tracking;
  if (!t.synchronised)
    return [unsynced(`Leap status: ${t.leapStatus}${t.referenceId ? `; Reference ID: ${t.referenceId}` : ''}`)];
  if (t.offsetSec !== undefined && Math.abs(t.offsetSec) * 1000 > maxOffsetMs) {
    const ms = t.offsetSec * 1000;
    return [
      {
        code: 'host.clock.offset',
        component: 'host',
        severity: 'warn',
        action: 'none',
        kind: 'condition',
        message: `the system clock is ${Math.abs(ms).toFixed(1)} ms ${ms > 0 ? 'fast' : 'slow'} (limit ${maxOffsetMs} ms)`,
        evidence: `System time: ${Math.abs(t.offsetSec)} seconds ${ms > 0 ? 'fast' : 'slow'} of NTP time`,
      },
    ];
  }
  return [];
}
