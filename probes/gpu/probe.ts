/**
 * The gpu probe: reads nvidia-smi (XML, CSV fallback, NVLink status) and the PCI bus, judges the
 * result with the pure gpu rules and keeps their windows (throttle samples, ECC and replay
 * counters) as its state between runs.
 */
import { limitsOf, type Probe } from '../types.ts';
import { listNvidiaPciGpus, readGpu, smiInstalled } from './read.ts';
import { evaluateGpu, type GpuState } from './rules.ts';
import { parseGpuSettings } from './settings.ts';

/** The gpu probe, as listed in the registry. */
export const gpuProbe: Probe<GpuState> = {
  name: 'gpu',
  defaults: { intervalSec: 30, timeoutMs: 20_000, outputCapBytes: 8 * 1024 * 1024 },

  async isSupported(ctx) {
    if (await smiInstalled(ctx)) return { supported: true };
    const pci = await listNvidiaPciGpus(ctx.roots.sys);
    if (pci && pci.length > 0) return { supported: true };
    return {
      supported: false,
      reason: `nvidia-smi is not installed and no NVIDIA GPU (vendor 0x10de, class 0x0300/0x0302) is under ${ctx.roots.sys}/bus/pci/devices`,
    };
  },

  async run(ctx, previous) {
    const settings = parseGpuSettings(ctx.settings);
    const input = await readGpu(ctx, limitsOf(ctx, gpuProbe.defaults));
    const result = evaluateGpu(input, previous, ctx.clock.now(), settings, 'live');
    const facts: Record<string, string> = {};
    const snap = input.snapshot;
    if (snap?.driverVersion) facts.driver_version = snap.driverVersion;
    if (snap?.cudaVersion) facts.cuda_version = snap.cudaVersion;
    if (snap) facts.gpu_count = String(snap.gpus.length);
    const names = [...new Set(snap?.gpus.map((g) => g.name).filter((n): n is string => n !== undefined))];
    if (names.length > 0) facts.gpu_model = names.join(', ');
    if (input.pciGpus) facts.gpu_pci_count = String(input.pciGpus.length);
    return { observations: result.observations, metrics: result.metrics, facts, state: result.state };
  },
};
