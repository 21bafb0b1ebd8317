import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldReading, LoopStallMeter, tickStall } from './loop-stall.ts';

const block = (ms: number) => {
  const t = performance.now();
  while (performance.now() - t < ms);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('foldReading', () => {
  it('bounds a reading by its busy time plus the stretch carried from the previous one', () => {
    const a = foldReading(0, { activeMs: 3, elapsedMs: 1000 });
    expect(a).toEqual({ stallMs: 3, carryMs: 3 });
    const b = foldReading(a.carryMs, { activeMs: 4, elapsedMs: 1000 });
    expect(b).toEqual({ stallMs: 7, carryMs: 4 });
  });

  it('keeps carrying while the loop never went idle between readings', () => {
    const a = foldReading(5, { activeMs: 20, elapsedMs: 20 });
    expect(a).toEqual({ stallMs: 25, carryMs: 25 });
    expect(foldReading(a.carryMs, { activeMs: 2, elapsedMs: 30 })).toEqual({ stallMs: 27, carryMs: 2 });
  });

  it('bounds every busy stretch, wherever readings cut it', () => {
    // A timeline of busy/idle segments; readings at arbitrary cut points; the longest busy
    // stretch must never exceed the largest stallMs reported.
    const seg = fc.record({ busy: fc.boolean(), ms: fc.integer({ min: 1, max: 50 }) });
    fc.assert(
      fc.property(
        fc.array(seg, { minLength: 1, maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 2000 })),
        (segs, cutsRaw) => {
          const total = segs.reduce((a, x) => a + x.ms, 0);
          const cuts = [...new Set(cutsRaw.map((c) => c % (total + 1)))].sort((a, b) => a - b);
          cuts.push(total);
          const busyBetween = (from: number, to: number) => {
            let t = 0;
            let busy = 0;
            for (const x of segs) {
              const lo = Math.max(from, t);
              const hi = Math.min(to, t + x.ms);
              if (x.busy && hi > lo) busy += hi - lo;
              t += x.ms;
            }
            return busy;
          };
          let longest = 0;
          let run = 0;
          for (const x of segs) {
            run = x.busy ? run + x.ms : 0;
            longest = Math.max(longest, run);
          }
          let carry = 0;
          let prev = 0;
          let max = 0;
          for (const c of cuts) {
            const f = foldReading(carry, { activeMs: busyBetween(prev, c), elapsedMs: c - prev });
            max = Math.max(max, f.stallMs);
            carry = f.carryMs;
            prev = c;
          }
          expect(max).toBeGreaterThanOrEqual(longest);
        },
      ),
    );
  });

  it('takes the ticker period out of a tick interval', () => {
    expect(tickStall(35, 10)).toBe(25);
    expect(tickStall(8, 10)).toBe(0);
  });
});

describe('LoopStallMeter', () => {
  it('keeps the fine timer off while idle and times a stall finely while held', async () => {
    const m = new LoopStallMeter({ windowMs: 100, busyMs: 1000 });
    try {
      await sleep(250);
      expect(m.fineTimerOn).toBe(false);
      const release = m.hold();
      expect(m.fineTimerOn).toBe(true);
      m.reset();
      await sleep(30);
      block(60);
      await sleep(30);
      expect(m.maxMs()).toBeGreaterThanOrEqual(45);
      release();
      expect(m.fineTimerOn).toBe(false);
      expect(m.maxMs()).toBeLessThan(250); // the 60 ms block, not the time since the meter began
      expect(m.maxMs()).toBeGreaterThanOrEqual(45); // kept after the ticker stopped
      m.reset();
      expect(m.maxMs()).toBe(0);
    } finally {
      m.close();
    }
  });

  it('bounds a stall nobody held for by the loop busy time, and times the next seconds finely', async () => {
    const m = new LoopStallMeter({ windowMs: 100, busyMs: 20, hotMs: 1000 });
    try {
      await sleep(150);
      m.reset();
      block(70);
      await sleep(150);
      expect(m.maxMs()).toBeGreaterThanOrEqual(70);
      expect(m.fineTimerOn).toBe(true); // that window was busy
      // the block was bounded, not timed: the carry into the first tick is not a timed stall
      expect(m.timedMaxMs()).toBeLessThan(40);
      await sleep(1300);
      expect(m.fineTimerOn).toBe(false);
    } finally {
      m.close();
    }
  });

  it('with `always`, times every stall: many short tasks in a window are not summed into one', async () => {
    const work = new LoopStallMeter({ windowMs: 200, busyMs: 1000 });
    const always = new LoopStallMeter({ windowMs: 200, busyMs: 1000, always: true });
    try {
      expect(always.fineTimerOn).toBe(true);
      always.hold()(); // a hold and its release leave it on
      expect(always.fineTimerOn).toBe(true);
      await sleep(250);
      work.reset();
      always.reset();
      // ten 4 ms tasks 12 ms apart, then one of 15 ms: 55 ms of busy time, no stall past ~15 ms
      for (let i = 0; i < 10; i++) {
        block(4);
        await sleep(12);
      }
      block(15);
      await sleep(250);
      expect(always.timedMaxMs()).toBeGreaterThanOrEqual(5); // the 15 ms task, timed
      expect(always.timedMaxMs()).toBeLessThan(30);
      expect(always.maxMs()).toBe(always.timedMaxMs());
      // the bound without the ticker sums the busy time the windows held
      expect(work.maxMs()).toBeGreaterThanOrEqual(40);
    } finally {
      work.close();
      always.close();
    }
  });
});
