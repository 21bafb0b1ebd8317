/** Tests of the cooperative time slicer the rdma reader uses to bound event-loop stalls. */
import { describe, expect, it } from 'vitest';
import { TimeSlicer } from './slicer.ts';

function fake() {
  let t = 100;
  let turns = 0;
  return {
    advance: (ms: number) => {
      t += ms;
    },
    turns: () => turns,
    deps: {
      now: () => t,
      yieldToLoop: async () => {
        turns++;
      },
    },
  };
}

describe('TimeSlicer', () => {
  it('is due only once its budget is used, and a yield starts a new slice', async () => {
    const f = fake();
    const s = new TimeSlicer(3, f.deps);
    expect(s.due()).toBe(false);
    f.advance(2.9);
    expect(s.due()).toBe(false);
    f.advance(0.1);
    expect(s.due()).toBe(true);
    await s.yield();
    expect(f.turns()).toBe(1);
    expect(s.due()).toBe(false);
    expect(s.yieldCount).toBe(1);
  });

  it('maybeYield turns the loop only when due', async () => {
    const f = fake();
    const s = new TimeSlicer(5, f.deps);
    await s.maybeYield();
    expect(f.turns()).toBe(0);
    f.advance(6);
    await s.maybeYield();
    expect(f.turns()).toBe(1);
    await s.maybeYield();
    expect(f.turns()).toBe(1);
  });

  it('by default really lets a setImmediate callback run', async () => {
    const s = new TimeSlicer();
    let ran = false;
    setImmediate(() => {
      ran = true;
    });
    await s.yield();
    expect(ran).toBe(true);
  });
});
