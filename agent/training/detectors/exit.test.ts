/** Exit verdicts with and without a diagnosis. */
import { describe, expect, it } from 'vitest';
import { diagnoseText } from '../diagnosis/match.ts';
import { detectExit, exitSignal } from './exit.ts';

describe('detectExit', () => {
  it('exit 0 is nothing', () => {
    expect(detectExit({ job: 'j', exitCode: 0, at: 1 })).toEqual([]);
  });

  it('non-zero without diagnosis: degraded, restart-job, last lines as evidence', () => {
    const [o] = detectExit({ job: 'j', rank: 3, pid: 99, exitCode: 1, at: 5 }, undefined, ['a', 'b', 'boom']);
    expect(o).toMatchObject({
      code: 'train.exit',
      component: 'job:j',
      severity: 'degraded',
      action: 'restart-job',
      at: 5,
    });
    expect(o?.message).toMatch(/rank 3 \(pid 99\) exited with code 1/);
    expect(o?.evidence).toBe('a | b | boom');
  });

  it('an ECC diagnosis makes the exit fatal and asks to drain', () => {
    const d = diagnoseText('RuntimeError: CUDA error: uncorrectable ECC error encountered')[0];
    const [o] = detectExit({ job: 'j', exitCode: 1, at: 0 }, d);
    expect(o).toMatchObject({ severity: 'fatal', action: 'drain' });
    expect(o?.message).toMatch(/Culprit: hardware/);
  });

  it('out of memory is user code: no restart', () => {
    const d = diagnoseText('torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.')[0];
    expect(detectExit({ job: 'j', exitCode: 1, at: 0 }, d)[0]?.action).toBe('none');
  });

  it('SIGTERM without a diagnosis is info (a stop, not a failure); signals are named', () => {
    expect(detectExit({ job: 'j', exitCode: -15, at: 0 })[0]).toMatchObject({ severity: 'info', action: 'none' });
    expect(exitSignal({ exitCode: 137 })).toBe('SIGKILL');
    expect(exitSignal({ exitCode: -6 })).toBe('SIGABRT');
    expect(exitSignal({ exitCode: 1 })).toBeUndefined();
  });
});
