/**
 * The driver probe: versions of the GPU software stack (kernel module, NVML, CUDA, OFED, NCCL)
 * as facts for cross-node drift checks, plus the local rules (missing companion modules,
 * kernel/user-space version mismatch, fabric manager down on NVSwitch systems).
 * Unsupported where the nvidia kernel driver is absent.
 */
import path from 'node:path';
import type { Observation } from '../../core/finding.ts';
import {
  limitsOf,
  type MetricSample,
  type Probe,
  type ProbeContext,
  type ProbeDefaults,
  type Support,
} from '../types.ts';
import type { SmiHeader } from './parse.ts';
import { type DriverReading, nvidiaPresent, readDriver } from './read.ts';
import { evaluateFabricManager, evaluateModules, evaluateVersionMismatch } from './rules.ts';
import { readDriverSettings } from './settings.ts';

const defaults: ProbeDefaults = { intervalSec: 300, timeoutMs: 60_000, outputCapBytes: 1024 * 1024 };

/** Modules worth listing in the facts. */
const INTERESTING_MODULES = /^(nvidia|nvidia_\w+|nv_peer_mem|mlx5_core|mlx5_ib|ib_core|gdrdrv)$/;

function smiView(r: DriverReading): SmiHeader | undefined {
  if (!r.smi) return undefined;
  if (r.smi.driverVersion || !r.smiDriverVersions?.[0]) return r.smi;
  return { ...r.smi, driverVersion: r.smiDriverVersions[0] };
}

/** The facts a run reports (what the collector compares across nodes). */
export function driverFacts(r: DriverReading): Record<string, string> {
  const facts: Record<string, string> = {};
  const smi = smiView(r);
  const set = (k: string, v: string | undefined) => {
    if (v) facts[k] = v;
  };
  set('driverVersion', r.kernel?.version ?? smi?.driverVersion);
  set('driverFlavor', r.kernel?.flavor);
  set('smiDriverVersion', smi?.driverVersion);
  set('cudaVersion', smi?.cudaVersion);
  set('cudaToolkitVersion', r.cudaToolkitVersion);
  set('ofedVersion', r.ofedVersion);
  set('ncclVersion', r.ncclVersion);
  facts.nvswitchCount = String(r.nvswitchCount);
  if (r.nvswitchCount > 0) facts.fabricManager = r.fabricManager ?? 'unknown';
  if (r.modules) {
    facts.modules = r.modules
      .map((m) => m.name)
      .filter((n) => INTERESTING_MODULES.test(n))
      .sort()
      .join(',');
  }
  if (r.smiError) facts.smiError = r.smiError.slice(0, 200);
  return facts;
}

/** Probe of the GPU driver stack. */
export const driverProbe: Probe = {
  name: 'driver',
  defaults,
  async isSupported(ctx: ProbeContext): Promise<Support> {
    if (await nvidiaPresent(ctx.roots)) return { supported: true };
    return {
      supported: false,
      reason: `no NVIDIA kernel driver: ${path.join(ctx.roots.proc, 'driver', 'nvidia')} is absent and /proc/modules has no nvidia`,
    };
  },
  async run(ctx) {
    const settings = readDriverSettings(ctx.settings);
    const r = await readDriver({
      runner: ctx.runner,
      roots: ctx.roots,
      settings,
      run: {
        timeoutMs: Math.min(settings.commandTimeoutMs, limitsOf(ctx, defaults).timeoutMs),
        outputCapBytes: limitsOf(ctx, defaults).outputCapBytes,
        signal: ctx.signal,
      },
    });
    const observations: Observation[] = [
      ...(r.modules ? evaluateModules(r.modules) : []),
      ...evaluateVersionMismatch(r.kernel, smiView(r)),
      ...evaluateFabricManager(r.nvswitchCount, r.fabricManager),
    ];
    const facts = driverFacts(r);
    const metrics: MetricSample[] = [{ name: 'nvswitch_count', value: r.nvswitchCount }];
    const labels: Record<string, string> = {};
    for (const k of ['driverVersion', 'cudaVersion', 'cudaToolkitVersion', 'ofedVersion', 'ncclVersion']) {
      const v = facts[k];
      if (v) labels[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v;
    }
    metrics.push({ name: 'driver_info', value: 1, labels });
    return { observations, metrics, facts };
  },
};
