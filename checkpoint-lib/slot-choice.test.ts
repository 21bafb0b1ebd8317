import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseSlot, type SlotView } from './slot-choice.ts';

const opts = { slots: 2, maxSlots: 3, policy: 'skip' as const, needBytes: 10, budgetBytes: 0 };

describe('chooseSlot', () => {
  it('fills the ring, then reuses the oldest complete slot, never a pinned one', () => {
    expect(chooseSlot([], opts)).toEqual({ kind: 'use', slot: 0, grow: false });
    const v: SlotView[] = [
      { slot: 0, state: 'complete', step: 5, capacity: 10 },
      { slot: 1, state: 'pinned', capacity: 10 },
    ];
    expect(chooseSlot([{ slot: 0, state: 'complete', step: 1, capacity: 10 }], opts)).toMatchObject({ slot: 1 });
    expect(chooseSlot(v, opts)).toEqual({ kind: 'use', slot: 0, grow: false });
    const busy: SlotView[] = [
      { slot: 0, state: 'pinned', capacity: 10 },
      { slot: 1, state: 'pinned', capacity: 10 },
    ];
    expect(chooseSlot(busy, opts)).toEqual({ kind: 'skip', reason: 'all-slots-busy' });
    expect(chooseSlot(busy, { ...opts, policy: 'grow' })).toEqual({ kind: 'use', slot: 2, grow: true });
    expect(chooseSlot(busy, { ...opts, policy: 'grow', budgetBytes: 25 })).toEqual({
      kind: 'skip',
      reason: 'memory-budget',
    });
  });
  it('never picks a pinned slot and never exceeds the budget (property)', () => {
    const view = fc.record({
      state: fc.constantFrom('empty', 'torn', 'complete', 'pinned'),
      step: fc.nat(50),
      capacity: fc.nat(100),
    });
    fc.assert(
      fc.property(
        fc.array(view, { maxLength: 5 }),
        fc.nat(100),
        fc.nat(400),
        fc.constantFrom('skip', 'grow'),
        (vs, need, budget, policy) => {
          const views = vs.map((v, i) => ({ ...v, slot: i })) as SlotView[];
          const c = chooseSlot(views, { slots: 2, maxSlots: 4, policy, needBytes: need, budgetBytes: budget });
          if (c.kind === 'skip') return;
          const picked = views.find((v) => v.slot === c.slot);
          expect(picked?.state).not.toBe('pinned');
          const used =
            views.reduce((a, v) => a + v.capacity, 0) - (picked?.capacity ?? 0) + Math.max(need, picked?.capacity ?? 0);
          if (budget > 0) expect(used).toBeLessThanOrEqual(budget);
        },
      ),
    );
  });
});
