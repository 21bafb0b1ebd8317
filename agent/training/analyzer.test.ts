/** The training-log analyzer on our fixtures: codes, severities, and what it does not sniff. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeTrainingLog, trainingAnalyzers } from './analyzer.ts';
import { trainingCatalog } from './catalog.ts';

const FIX = path.resolve(import.meta.dirname, '../../test/fixtures/training');
const fx = (n: string) => readFileSync(path.join(FIX, n), 'utf8');
const codes = (n: string) => analyzeTrainingLog(fx(n), 0).map((o) => `${o.code} ${o.severity}`);

describe('trainingAnalyzers', () => {
  it('is one analyzer of kind training-log that sniffs training output and not kernel logs', () => {
    const [a] = trainingAnalyzers;
    expect(trainingAnalyzers.map((x) => x.kind)).toEqual(['training-log']);
    expect(a?.sniff(fx('hf-trainer-eval-bar.log'))).toBe(true);
    expect(a?.sniff('[  12.345] NVRM: Xid (PCI:0000:3b:00): 79, pid=1, GPU has fallen off the bus.\n')).toBe(false);
  });

  it('Megatron with a NaN loss: train.loss.nan', () => {
    expect(codes('megatron-timestamped-ckpt-nan.log')).toEqual(['train.loss.nan degraded']);
  });

  it('torchtitan NaN (ANSI coloured)', () => {
    expect(codes('torchtitan-ansi-nan.log')).toEqual(['train.loss.nan degraded']);
  });

  it('DeepSpeed loss scale at minimum: diagnosis', () => {
    expect(codes('deepspeed-steps-loss-scale-min.log')).toEqual(['train.diag.loss_scale_underflow degraded']);
  });

  it('mixed failures: a watchdog timeout gives train.hang plus every diagnosis', () => {
    const c = codes('diag-mixed-failures.log');
    expect(c[0]).toBe('train.hang degraded');
    expect(c).toContain('train.diag.gpu_fallen_off_bus fatal');
    expect(c).toContain('train.diag.ib_retry_exceeded degraded');
  });

  it('every code it can emit is in the catalog', () => {
    const known = new Set(trainingCatalog.map((c) => c.code));
    for (const n of [
      'megatron-timestamped-ckpt-nan.log',
      'diag-mixed-failures.log',
      'deepspeed-steps-loss-scale-min.log',
    ]) {
      for (const o of analyzeTrainingLog(fx(n), 0)) expect(known.has(o.code)).toBe(true);
    }
  });
});
