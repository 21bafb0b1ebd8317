import { describe, expect, it } from 'vitest';
import type { Observation } from '../../core/finding.ts';
import { summarizeGpus, withGpuEvidence } from './gpu-evidence.ts';

const hang: Observation = {
  code: 'train.hang',
  component: 'job:llm',
  severity: 'degraded',
  action: 'restart-job',
  kind: 'condition',
  message: 'no progress',
  evidence: 'last step 120',
};
const gpus = (util: number, watts: number) =>
  Array.from({ length: 8 }, (_, i) => [
    { name: 'gpu_utilization_ratio', value: util, labels: { gpu: String(i) } },
    { name: 'gpu_power_draw_watts', value: watts, labels: { gpu: String(i) } },
  ]).flat();

describe('GPU evidence for training findings', () => {
  it('reads idle GPUs as waiting and busy GPUs as spinning in a collective', () => {
    expect(summarizeGpus(gpus(0, 90))).toBe(
      '8 GPUs util avg 0% (max 0%), power avg 90 W: GPUs idle: the ranks are waiting (data loading, the host, or a peer)',
    );
    expect(summarizeGpus(gpus(1, 690))).toMatch(/util avg 100%.*spinning in a collective/);
    expect(summarizeGpus([])).toBeUndefined();
  });

  it('adds it to hang and slowdown evidence only', () => {
    const spike = { ...hang, code: 'train.loss.spike', evidence: 'loss 9.1' };
    const [h, s] = withGpuEvidence([hang, spike], gpus(1, 700));
    expect(h?.evidence).toMatch(/^last step 120; 8 GPUs util avg 100%/);
    expect(s?.evidence).toBe('loss 9.1');
    expect(withGpuEvidence([hang], [])).toEqual([hang]);
  });
});
