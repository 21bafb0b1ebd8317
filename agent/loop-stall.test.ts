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

  it("carries across a timer's reading no more than that timer's lateness", () => {
    // 15 ms of work early in each of two windows: not one 30 ms stall
    const a = foldReading(0, { activeMs: 15, elapsedMs: 250, timerLateMs: 0.5 });
    expect(a).toEqual({ stallMs: 15, carryMs: 0.5 });
    expect(foldReading(a.carryMs, { activeMs: 15, elapsedMs: 250, timerLateMs: 0.5 }).stallMs).toBe(15.5);
    // a late timer carries its lateness (capped by what a reading anywhere would carry)
    expect(foldReading(0, { activeMs: 40, elapsedMs: 250, timerLateMs: 12 }).carryMs).toBe(12);
    expect(foldReading(0, { activeMs: 5, elapsedMs: 250, timerLateMs: 12 }).carryMs).toBe(5);
  });

  it('bounds every stall when window timers (run late by the work in their way) and holds (anywhere) read', () => {
    // The loop as iterations: a busy segment is one iteration's work, an idle one is the poll
    // wait; timers run between iterations. A timer due inside a busy segment runs at its end, so
    // the longest stall is the longest busy segment. Window timers read every `period` after
    // their previous run; holds read at arbitrary points, mid-segment included.
    const seg = fc.record({ busy: fc.boolean(), ms: fc.integer({ min: 1, max: 50 }) });
    fc.assert(
      fc.property(
        fc.array(seg, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 5, max: 120 }),
        fc.array(fc.integer({ min: 0, max: 2000 }), { maxLength: 8 }),
        (segs, period, holdsRaw) => {
          const starts: number[] = [];
          let total = 0;
          for (const x of segs) {
            starts.push(total);
            total += x.ms;
          }
          const busyBetween = (from: number, to: number) => {
            let busy = 0;
            segs.forEach((x, i) => {
              const lo = Math.max(from, starts[i]!);
              const hi = Math.min(to, starts[i]! + x.ms);
              if (x.busy && hi > lo) busy += hi - lo;
            });
            return busy;
          };
          /** When a timer due at `d` runs: at once in idle time, else when the busy segment ends. */
          const runsAt = (d: number) => {
            const i = segs.findIndex((x, k) => d >= starts[k]! && d < starts[k]! + x.ms);
            return i < 0 || !segs[i]!.busy ? d : starts[i]! + segs[i]!.ms;
          };
          const readings: { at: number; timerLateMs?: number }[] = [];
          for (let ran = 0; ; ) {
            const due = ran + period;
            if (due > total) break;
            ran = runsAt(due);
            readings.push({ at: ran, timerLateMs: ran - due });
          }
          for (const h of holdsRaw) readings.push({ at: h % (total + 1) });
          readings.sort((a, b) => a.at - b.at);
          readings.push({ at: total });
          const longest = Math.max(0, ...segs.filter((x) => x.busy).map((x) => x.ms));
          let carry = 0;
          let prev = 0;
          let max = 0;
          for (const r of readings) {
            const f = foldReading(carry, {
              activeMs: busyBetween(prev, r.at),
              elapsedMs: r.at - prev,
              ...(r.timerLateMs !== undefined ? { timerLateMs: r.timerLateMs } : {}),
            });
            max = Math.max(max, f.stallMs);
            carry = f.carryMs;
            prev = r.at;
          }
          expect(max).toBeGreaterThanOrEqual(longest);
        },
      ),
      { numRuns: 500 },
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

  it('never reports less than monitorEventLoopDelay measures, under random work (windows only)', async () => {
    const { monitorEventLoopDelay } = await import('node:perf_hooks');
    const m = new LoopStallMeter({ windowMs: 40, busyMs: 1e9 }); // the ticker never arms
    const h = monitorEventLoopDelay({ resolution: 1 });
    try {
      await sleep(50);
      m.reset();
      h.enable();
      // blocks of 1-25 ms at random moments, some chained through setImmediate (no idle between)
      const until = performance.now() + 1500;
      while (performance.now() < until) {
        await sleep(Math.floor(Math.random() * 30));
        block(1 + Math.random() * 24);
        if (Math.random() < 0.3) await new Promise((r) => setImmediate(r));
        if (Math.random() < 0.3) block(Math.random() * 10);
      }
      await sleep(100);
      h.disable();
      const timedMs = h.max / 1e6 - 1; // its intervals include its 1 ms resolution
      expect(timedMs).toBeGreaterThan(5);
      expect(m.fineTimerOn).toBe(false);
      expect(m.maxMs()).toBeGreaterThanOrEqual(timedMs - 1);
    } finally {
      h.disable();
      m.close();
    }
  });
});
