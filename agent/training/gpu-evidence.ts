/**
 * GPU utilisation and power as supporting evidence for training findings: a hang with the
 * GPUs idle points at data loading, the host or a peer; a hang with the GPUs busy points at
 * ranks spinning in a collective (NCCL), i.e. the network or another node. Pure.
 */
import type { Observation } from '../../core/finding.ts';
import type { MetricSample } from '../../probes/types.ts';

/** The codes whose evidence gains the GPUs' state. */
const CODES = new Set(['train.hang', 'train.slow']);

/** Below this average utilisation the GPUs are idle; above the busy one they are busy. */
const IDLE = 0.1;
const BUSY = 0.8;

/** A one-line summary of the GPUs from the gpu probe's latest samples, or undefined without them. */
export function summarizeGpus(samples: readonly MetricSample[]): string | undefined {
  const util = samples.filter((s) => s.name === 'gpu_utilization_ratio').map((s) => s.value);
  if (!util.length) return undefined;
  const power = samples.filter((s) => s.name === 'gpu_power_draw_watts').map((s) => s.value);
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const u = avg(util);
  const reading =
    u < IDLE
      ? 'GPUs idle: the ranks are waiting (data loading, the host, or a peer)'
      : u > BUSY
        ? 'GPUs busy: the ranks may be spinning in a collective (network or another node)'
        : 'GPUs partly busy';
  const watts = power.length ? `, power avg ${Math.round(avg(power))} W` : '';
  return `${util.length} GPUs util avg ${Math.round(u * 100)}% (max ${Math.round(Math.max(...util) * 100)}%)${watts}: ${reading}`;
}

/** The observations, with the GPUs' state added to the evidence of hang and slowdown findings. */
export function withGpuEvidence(obs: readonly Observation[], gpuSamples: readonly MetricSample[]): Observation[] {
  const gpus = summarizeGpus(gpuSamples);
  if (!gpus) return [...obs];
  return obs.map((o) => (CODES.has(o.code) ? { ...o, evidence: `${o.evidence}${o.evidence ? '; ' : ''}${gpus}` } : o));
}
