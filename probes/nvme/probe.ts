/**
 * The nvme probe: SMART health of every NVMe controller (critical warnings, media errors as a
 * rate, wear, spare, temperature), controller state, and free space on the checkpoint volumes.
 * Unsupported on a host with no controllers under `<sys>/class/nvme`.
 */
import path from 'node:path';
import type { CounterReading } from '../../core/counter.ts';
import { capEvidence, type Observation } from '../../core/finding.ts';
import {
  limitsOf,
  type MetricSample,
  type Probe,
  type ProbeContext,
  type ProbeDefaults,
  type Support,
} from '../types.ts';
import { type ControllerReading, listSysControllers, readNvme } from './read.ts';
import { evaluateControllerState, evaluateSmartHealth, evaluateVolume, usedRatio } from './rules.ts';
import { readNvmeSettings } from './settings.ts';

/** What the nvme probe keeps between runs: the last media_errors reading per drive. */
export interface NvmeState {
  /** Keyed by `<controller>|<serial>` so a swapped drive starts afresh. */
  media: Record<string, CounterReading>;
}

const defaults: ProbeDefaults = { intervalSec: 300, timeoutMs: 60_000, outputCapBytes: 1024 * 1024 };

function driveKey(c: ControllerReading): string {
  return `${c.name}|${c.serial ?? ''}`;
}

function metricsOf(c: ControllerReading): MetricSample[] {
  const h = c.health;
  if (!h) return [];
  const labels = { device: c.name };
  const out: MetricSample[] = [{ name: 'nvme_critical_warning', value: h.criticalWarning, labels }];
  const add = (name: string, v: number | undefined) => {
    if (v !== undefined) out.push({ name, value: v, labels });
  };
  add('nvme_temperature_celsius', h.temperatureC);
  add('nvme_percentage_used', h.percentageUsed);
  add('nvme_available_spare_percent', h.availableSpare);
  add('nvme_media_errors_total', h.mediaErrors);
  add('nvme_error_log_entries_total', h.errorLogEntries);
  return out;
}

/** Probe of NVMe drive health and checkpoint volume space. */
export const nvmeProbe: Probe<NvmeState> = {
  name: 'nvme',
  defaults,
  async isSupported(ctx: ProbeContext): Promise<Support> {
    const controllers = await listSysControllers(ctx.roots);
    if (controllers.length > 0) return { supported: true };
    return {
      supported: false,
      reason: `no NVMe controllers under ${path.join(ctx.roots.sys, 'class', 'nvme')}`,
    };
  },
  async run(ctx, previous) {
    const settings = readNvmeSettings(ctx.settings);
    const now = ctx.clock.now();
    const reading = await readNvme({
      runner: ctx.runner,
      roots: ctx.roots,
      checkpointDirs: settings.checkpointDirs,
      run: {
        timeoutMs: Math.min(settings.commandTimeoutMs, limitsOf(ctx, defaults).timeoutMs),
        outputCapBytes: limitsOf(ctx, defaults).outputCapBytes,
        signal: ctx.signal,
      },
    });
    const observations: Observation[] = [];
    const metrics: MetricSample[] = [];
    const state: NvmeState = { media: {} };
    if (reading.tool === 'none') {
      observations.push({
        code: 'nvme.tool.missing',
        component: 'host',
        severity: 'warn',
        action: 'none',
        kind: 'condition',
        message: 'neither nvme-cli nor smartctl is installed; NVMe health cannot be read',
        evidence: 'nvme: not installed; smartctl: not installed',
      });
    }
    for (const c of reading.controllers) {
      observations.push(...evaluateControllerState(c.name, c.state));
      if (c.health) {
        const key = driveKey(c);
        const r = evaluateSmartHealth(c.name, c.health, previous?.media[key], now, settings);
        observations.push(...r.observations);
        if (r.media) state.media[key] = r.media;
        metrics.push(...metricsOf(c));
      } else if (c.healthError && reading.tool !== 'none') {
        observations.push({
          code: 'nvme.smart.unreadable',
          component: c.name,
          severity: 'warn',
          action: 'none',
          kind: 'condition',
          message: `SMART health of ${c.name} could not be read`,
          evidence: capEvidence(c.healthError),
        });
      }
    }
    for (const v of reading.volumes) {
      observations.push(...evaluateVolume(v, settings));
      const ratio = usedRatio(v);
      if (ratio !== undefined) metrics.push({ name: 'host_disk_used_ratio', value: ratio, labels: { path: v.path } });
    }
    for (const e of reading.volumeErrors) {
      observations.push({
        code: 'host.disk.unreadable',
        component: `mount:${e.path}`,
        severity: 'warn',
        action: 'none',
        kind: 'condition',
        message: `free space of checkpoint directory ${e.path} could not be read`,
        evidence: capEvidence(e.error),
      });
    }
    const facts: Record<string, string> = { nvmeTool: reading.tool, nvmeCount: String(reading.controllers.length) };
    for (const c of reading.controllers) {
      facts[`nvme.${c.name}`] = [c.model, c.serial, c.firmware].filter(Boolean).join(' ');
    }
    return { observations, metrics, facts, state };
  },
};
