/**
 * Which shm slot a save goes into: a pure decision over the slots' states. Empty or torn slots
 * first, then the complete slot holding the oldest step; a slot the agent has pinned (it is
 * copying it out) is never touched. When every slot is pinned the policy decides: `skip` the
 * save (reported), or `grow` the ring by one slot up to `maxSlots`.
 */

/** What a writer can see of one slot. */
export interface SlotView {
  slot: number;
  state: 'empty' | 'torn' | 'complete' | 'pinned';
  step?: number;
  /** Bytes of the slot's data file (0 when it does not exist yet). */
  capacity: number;
}

export type SlotPolicy = 'skip' | 'grow';

export type SlotChoice =
  | { kind: 'use'; slot: number; grow: boolean }
  | { kind: 'skip'; reason: 'all-slots-busy' | 'memory-budget' };

export interface SlotChoiceOptions {
  /** Slots in the ring before any growth. */
  slots: number;
  maxSlots: number;
  policy: SlotPolicy;
  /** Bytes this save needs. */
  needBytes: number;
  /** Bytes of shm this rank may use in all (0 = unlimited). */
  budgetBytes: number;
}

/** Pick the slot for the next save. `views` lists the slots that exist (any order). */
export function chooseSlot(views: readonly SlotView[], o: SlotChoiceOptions): SlotChoice {
  const used = views.reduce((a, v) => a + v.capacity, 0);
  const fits = (v: SlotView | undefined) =>
    o.budgetBytes === 0 || used - (v?.capacity ?? 0) + Math.max(o.needBytes, v?.capacity ?? 0) <= o.budgetBytes;
  const existing = new Set(views.map((v) => v.slot));
  // Slots of the base ring not created yet come first (the ring is filled before reuse),
  // unless the memory budget has no room for another slot.
  for (let s = 0; s < o.slots; s++) {
    if (!existing.has(s) && fits(undefined)) return { kind: 'use', slot: s, grow: false };
  }
  const free = views
    .filter((v) => v.state !== 'pinned')
    .sort((a, b) => rankOf(a) - rankOf(b) || (a.step ?? -1) - (b.step ?? -1) || a.slot - b.slot);
  const pick = free[0];
  if (pick)
    return fits(pick) ? { kind: 'use', slot: pick.slot, grow: false } : { kind: 'skip', reason: 'memory-budget' };
  if (views.length < o.slots) return { kind: 'skip', reason: 'memory-budget' };
  return budgetOrBusy(views, o);
}

function budgetOrBusy(views: readonly SlotView[], o: SlotChoiceOptions): SlotChoice {
  if (o.policy !== 'grow' || views.length >= o.maxSlots) return { kind: 'skip', reason: 'all-slots-busy' };
  const used = views.reduce((a, v) => a + v.capacity, 0);
  if (o.budgetBytes > 0 && used + o.needBytes > o.budgetBytes) return { kind: 'skip', reason: 'memory-budget' };
  const next = views.reduce((m, v) => Math.max(m, v.slot + 1), 0);
  return { kind: 'use', slot: next, grow: true };
}

function rankOf(v: SlotView): number {
  return v.state === 'empty' || v.state === 'torn' ? 0 : 1;
}
