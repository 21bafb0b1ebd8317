import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LadderEntry, nextLadderStep } from './ladder.ts';
import { LADDER_STEPS, type LadderSpec } from './policy.ts';

const LADDER: LadderSpec = {
  steps: ['restart-job', 'reset-gpu', 'reboot', 'inspect-hardware'],
  repeats: { 'restart-job': 2, reboot: 2 },
  memoryHours: 720,
  isolateAt: ['inspect-hardware'],
};
const H = 3_600_000;
const e = (step: LadderEntry['step'], at: number, node = 'gpu01', code = 'gpu.xid.79'): LadderEntry => ({
  node,
  code,
  step,
  at,
});

describe('nextLadderStep', () => {
  it('a reboot-class Xid on a node already rebooted twice for it → inspect-hardware', () => {
    const now = 100 * H;
    expect(nextLadderStep(LADDER, [], 'gpu01', 'gpu.xid.79', 'reboot', now)?.step).toBe('reboot');
    expect(nextLadderStep(LADDER, [e('reboot', now - H)], 'gpu01', 'gpu.xid.79', 'reboot', now)?.step).toBe('reboot');
    const v = nextLadderStep(
      LADDER,
      [e('reboot', now - 2 * H), e('reboot', now - H)],
      'gpu01',
      'gpu.xid.79',
      'reboot',
      now,
    );
    expect(v?.step).toBe('inspect-hardware');
    expect(v?.why).toMatch(/already had reboot 2×/);
  });

  it('remembers per node and per code, and forgets past the memory window', () => {
    const now = 1000 * H;
    const hist = [e('reboot', now - H), e('reboot', now - 2 * H)];
    expect(nextLadderStep(LADDER, hist, 'gpu02', 'gpu.xid.79', 'reboot', now)?.step).toBe('reboot');
    expect(nextLadderStep(LADDER, hist, 'gpu01', 'gpu.xid.48', 'reboot', now)?.step).toBe('reboot');
    const old = [e('reboot', now - 721 * H), e('reboot', now - 722 * H)];
    expect(nextLadderStep(LADDER, old, 'gpu01', 'gpu.xid.79', 'reboot', now)?.step).toBe('reboot');
  });

  it('climbs one rung at a time from the suggestion: restart → reset → reboot', () => {
    const now = 10 * H;
    const hist = [e('restart-job', 1), e('restart-job', 2)];
    expect(nextLadderStep(LADDER, hist, 'gpu01', 'gpu.xid.79', 'restart-job', now)?.step).toBe('reset-gpu');
    expect(nextLadderStep(LADDER, [...hist, e('reset-gpu', 3)], 'gpu01', 'gpu.xid.79', 'restart-job', now)?.step).toBe(
      'reboot',
    );
  });

  it('ignores suggestions that are not on the ladder', () => {
    expect(nextLadderStep(LADDER, [], 'gpu01', 'x', 'drain', 0)).toBeUndefined();
    expect(nextLadderStep(LADDER, [], 'gpu01', 'x', 'none', 0)).toBeUndefined();
  });

  it('never goes down the ladder as history grows (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...LADDER_STEPS), { maxLength: 12 }),
        fc.constantFrom(...LADDER_STEPS),
        (steps, start) => {
          let prev = -1;
          const hist: LadderEntry[] = [];
          for (const s of steps) {
            const v = nextLadderStep(LADDER, hist, 'n', 'c', start, 100 * H)!;
            const idx = LADDER.steps.indexOf(v.step);
            expect(idx).toBeGreaterThanOrEqual(Math.max(prev, LADDER.steps.indexOf(start)));
            prev = idx;
            hist.push(e(v.step, 50 * H, 'n', 'c'));
            void s;
          }
        },
      ),
    );
  });
});
