/**
 * The host-hw probe: EDAC memory errors, /dev/shm size against the checkpoint budget,
 * configured mounts present and answering (checked in child processes with a timeout), and
 * clock synchronisation. Each check that has no source on this host is skipped and named in
 * the facts; the probe is unsupported only where there is no /proc (not Linux).
 */
import { stat } from 'node:fs/promises';
import type { Observation } from '../../core/finding.ts';
import {
  limitsOf,
  type MetricSample,
  type Probe,
  type ProbeContext,
  type ProbeDefaults,
  type Support,
} from '../types.ts';
import { checkMounts, readBootId, readClock, readEdac, readShmBytes } from './read.ts';
import { type EdacState, evaluateClock, evaluateEdac, evaluateMount, evaluateShm } from './rules.ts';
import { readHostHwSettings } from './settings.ts';

/** What host-hw keeps between runs. */
export interface HostHwState {
  edac: EdacState;
}

const defaults: ProbeDefaults = { intervalSec: 60, timeoutMs: 30_000, outputCapBytes: 256 * 1024 };

/** Probe of host hardware extras: EDAC, /dev/shm, mounts, clock. */
export const hostHwProbe: Probe<HostHwState> = {
  name: 'host-hw',
  defaults,
  async isSupported(ctx: ProbeContext): Promise<Support> {
    try {
      if ((await stat(ctx.roots.proc)).isDirectory()) return { supported: true };
    } catch {
      // fall through
    }
    return { supported: false, reason: `${ctx.roots.proc} is not readable (not a Linux host)` };
  },
  async run(ctx, previous) {
    const settings = readHostHwSettings(ctx.settings);
    const now = ctx.clock.now();
    const observations: Observation[] = [];
    const metrics: MetricSample[] = [];
    const facts: Record<string, string> = {};
    const state: HostHwState = { edac: {} };

    const [edac, bootId, shm, mounts, clock] = await Promise.all([
      readEdac(ctx.roots),
      readBootId(ctx.roots),
      readShmBytes(ctx.roots),
      checkMounts({
        runner: ctx.runner,
        roots: ctx.roots,
        mounts: settings.mounts,
        timeoutMs: settings.mountTimeoutMs,
        signal: ctx.signal,
      }),
      readClock(ctx.runner, {
        timeoutMs: settings.commandTimeoutMs,
        outputCapBytes: limitsOf(ctx, defaults).outputCapBytes,
        signal: ctx.signal,
      }),
    ]);

    facts.edac = edac ? `${edac.length} memory controllers` : 'absent';
    if (edac) {
      const r = evaluateEdac(edac, previous?.edac, now, bootId, settings.edacCePerHourWarn);
      observations.push(...r.observations);
      state.edac = r.state;
      for (const c of edac) {
        metrics.push({ name: 'host_edac_ce_total', value: c.ce, labels: { mc: c.mc } });
        metrics.push({ name: 'host_edac_ue_total', value: c.ue, labels: { mc: c.mc } });
      }
    }

    if (shm !== undefined) {
      facts.shmBytes = String(shm);
      metrics.push({ name: 'host_shm_size_bytes', value: shm });
      observations.push(...evaluateShm(shm, settings.checkpointBudgetBytes));
    } else {
      facts.shmBytes = 'unreadable';
    }

    for (const m of mounts) {
      observations.push(...evaluateMount(m));
      metrics.push({ name: 'host_mount_ok', value: m.status === 'ok' ? 1 : 0, labels: { path: m.path } });
      if (m.status === 'ok') facts[`mount:${m.path}`] = m.fstype;
    }

    facts.clockSource = clock?.source ?? 'none';
    if (clock) {
      observations.push(...evaluateClock(clock, settings.clockMaxOffsetMs));
      if (clock.source === 'chrony' && clock.tracking.offsetSec !== undefined) {
        metrics.push({ name: 'host_clock_offset_seconds', value: clock.tracking.offsetSec });
      }
    }
    return { observations, metrics, facts, state };
  },
};
