import { describe, expect, it } from 'vitest';
import { DIAGNOSIS_SIGNATURES as SIGNATURES } from '../../agent/training/diagnosis/catalog.ts';
import { causeOf, rootCause } from './cause.ts';

describe('causeOf', () => {
  it.each([
    ['gpu.xid.79', 'gpu'],
    ['gpu.xid.48', 'gpu-memory'],
    ['gpu.xid.94', 'gpu-memory'],
    ['gpu.rowremap.failure', 'gpu-memory'],
    ['gpu.ecc.dbe', 'gpu-memory'],
    ['gpu.xid.74', 'nvlink'],
    ['gpu.nvlink.inactive', 'nvlink'],
    ['nvswitch.fatal', 'nvlink'],
    ['gpu.xid.13', 'user-code'],
    ['gpu.xid.45', 'software'],
    ['gpu.throttle.hw_slowdown', 'gpu'],
    ['ib.port.down', 'network'],
    ['net.nccl.slow', 'network'],
    ['nvme.wear', 'storage'],
    ['ckpt.tier.unavailable', 'storage'],
    ['kernel.mce', 'host'],
    ['host.edac.ue', 'host'],
    ['driver.mismatch', 'software'],
    ['train.loss.nan', 'user-code'],
    ['train.diag.cuda_oom', 'user-code'],
    ['train.diag.nccl_timeout', 'network'],
    ['train.diag.ecc_uncorrectable', 'gpu-memory'],
    ['something.new', 'unknown'],
  ])('%s → %s', (code, category) => {
    expect(causeOf(code).category).toBe(category);
    expect(causeOf(code).symptom).toBe(false);
  });

  it('treats hangs, slowdowns and a lost node as symptoms', () => {
    for (const code of ['train.hang', 'train.hang.suspect', 'train.straggler', 'train.slow', 'node.lost']) {
      expect(causeOf(code).symptom).toBe(true);
    }
  });

  it("has a category for every signature of the agent's diagnosis catalog", () => {
    const unknown = SIGNATURES.filter((s) => causeOf(s.code).category === 'unknown').map((s) => s.code);
    expect(unknown).toEqual([]);
  });
});

describe('rootCause', () => {
  it('prefers a cause over a symptom even when the symptom came first or is worse', () => {
    const r = rootCause([
      { code: 'train.hang', severity: 'fatal', firstSeen: 1 },
      { code: 'gpu.xid.79', severity: 'degraded', firstSeen: 5 },
    ]);
    expect(r?.code).toBe('gpu.xid.79');
    expect(r?.category).toBe('gpu');
  });

  it('among causes prefers the worse, then the earlier', () => {
    expect(
      rootCause([
        { code: 'ib.port.down', severity: 'degraded', firstSeen: 1 },
        { code: 'gpu.xid.79', severity: 'fatal', firstSeen: 5 },
      ])?.code,
    ).toBe('gpu.xid.79');
    expect(
      rootCause([
        { code: 'gpu.xid.79', severity: 'fatal', firstSeen: 9 },
        { code: 'gpu.xid.48', severity: 'fatal', firstSeen: 5 },
      ])?.code,
    ).toBe('gpu.xid.48');
  });

  it('falls back to unknown with symptoms only', () => {
    expect(rootCause([{ code: 'train.hang', severity: 'degraded', firstSeen: 1 }])?.category).toBe('unknown');
    expect(rootCause([])).toBeUndefined();
  });
});
