import { describe, expect, it } from 'vitest';
import {
  type IsolationRecord,
  isOwnReason,
  MAX_REASON_CHARS,
  mayIsolate,
  mayRelease,
  type ObservedNode,
  ownerReason,
  reconcileRecord,
} from './safety.ts';

const idle: ObservedNode = { exists: true, isolated: false, state: 'idle' };
const ours: ObservedNode = { exists: true, isolated: true, state: 'drained', reason: 'keelson: gpu.xid.79 gpu:3 x' };
const theirs: ObservedNode = { exists: true, isolated: true, state: 'drained', reason: 'bob: PSU swap' };
const rec = (over: Partial<IsolationRecord> = {}): IsolationRecord => ({
  node: 'gpu01',
  status: 'isolated',
  reason: 'keelson: gpu.xid.79 gpu:3 x',
  code: 'gpu.xid.79',
  since: 100,
  evidenceFirstSeen: 90,
  ...over,
});

describe('owner-tagged reasons', () => {
  it('tags, flattens and caps', () => {
    expect(ownerReason('gpu.xid.79', 'gpu:3', 'GPU has fallen\noff the bus')).toBe(
      'keelson: gpu.xid.79 gpu:3 GPU has fallen off the bus',
    );
    expect(ownerReason('a', 'b', 'x'.repeat(500)).length).toBe(MAX_REASON_CHARS);
    expect(isOwnReason('keelson: x')).toBe(true);
    expect(isOwnReason('Kill task failed')).toBe(false);
    expect(isOwnReason(undefined)).toBe(false);
  });
});

describe('mayIsolate', () => {
  it('never touches a node someone else drained or cordoned', () => {
    expect(mayIsolate([theirs], undefined, 1)).toEqual({ ok: false, why: 'operator-owned' });
    expect(mayIsolate([idle, theirs], undefined, 1)).toEqual({ ok: false, why: 'operator-owned' });
    expect(mayIsolate([{ ...theirs, state: 'down*', reason: 'Not responding' }], undefined, 1).ok).toBe(false);
  });

  it('a node an operator returned is isolated again only for evidence first seen after the return', () => {
    const r = rec({ status: 'returned', returnedAt: 500 });
    expect(mayIsolate([idle], r, 400)).toEqual({ ok: false, why: 'returned-no-new-evidence' });
    expect(mayIsolate([idle], r, 500)).toEqual({ ok: false, why: 'returned-no-new-evidence' });
    expect(mayIsolate([idle], r, 501)).toEqual({ ok: true });
  });

  it('skips a node Keelson already isolated, and unknown nodes', () => {
    expect(mayIsolate([ours], rec(), 1000)).toEqual({ ok: false, why: 'already-isolated' });
    expect(mayIsolate([{ exists: false, isolated: false, state: 'unknown' }], undefined, 1).ok).toBe(false);
    expect(mayIsolate([idle], undefined, 1)).toEqual({ ok: true });
  });
});

describe('mayRelease and reconcileRecord', () => {
  it('releases only Keelson-tagged isolations', () => {
    expect(mayRelease([ours])).toEqual({ ok: true });
    expect(mayRelease([theirs])).toEqual({ ok: false, why: 'not-ours' });
    expect(mayRelease([idle])).toEqual({ ok: false, why: 'not-isolated' });
  });

  it('notices an operator return and a take-over', () => {
    expect(reconcileRecord(rec(), [idle], 700)).toMatchObject({ status: 'returned', returnedAt: 700 });
    expect(reconcileRecord(rec(), [theirs], 700)).toMatchObject({ status: 'taken-over' });
    const same = rec();
    expect(reconcileRecord(same, [ours], 700)).toBe(same);
    expect(reconcileRecord(rec({ status: 'released' }), [idle], 700).status).toBe('released');
  });
});
