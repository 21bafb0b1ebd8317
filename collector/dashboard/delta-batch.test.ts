/** Delta batching: each changed node once per window, unchanged tiles never sent, removals. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DirtySet, diffTiles } from './delta-batch.ts';
import type { Tile } from './tiles.ts';

const tile = (id: string, sev: Tile['sev'] = null): Tile => ({
  id,
  host: id,
  conn: 'online',
  sev,
  n: 0,
  labels: {},
  lastSeen: 0,
});

describe('DirtySet', () => {
  it('hands out each marked id once per take', () => {
    const d = new DirtySet();
    for (let i = 0; i < 50; i++) d.mark('a');
    d.mark('b');
    expect(d.size).toBe(2);
    expect(d.take().sort()).toEqual(['a', 'b']);
    expect(d.take()).toEqual([]);
  });
});

describe('diffTiles', () => {
  it('sends new and changed tiles, skips unchanged ones, reports removed ones, and remembers what it sent', () => {
    const sent = new Map<string, Tile>([
      ['a', tile('a')],
      ['b', tile('b')],
      ['gone', tile('gone')],
    ]);
    const now = new Map<string, Tile>([
      ['a', { ...tile('a'), lastSeen: 5 }],
      ['b', tile('b', 'fatal')],
      ['c', tile('c')],
    ]);
    const d = diffTiles(['a', 'b', 'c', 'gone', 'never'], (id) => now.get(id), sent);
    expect(d.upsert.map((t) => t.id)).toEqual(['b', 'c']);
    expect(d.remove).toEqual(['gone']);
    expect(sent.get('b')?.sev).toBe('fatal');
    expect(sent.has('gone')).toBe(false);
    expect(diffTiles(['a', 'b', 'c'], (id) => now.get(id), sent)).toEqual({ upsert: [], remove: [] });
  });

  it('leaves the sent table equal to the truth for every id it was asked about', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.constantFrom(null, 'warn', 'fatal', 'gone'))),
        (changes) => {
          const truth = new Map<string, Tile>();
          const sent = new Map<string, Tile>();
          const dirty = new DirtySet();
          const browser = new Map<string, Tile>();
          for (const [i, sev] of changes) {
            const id = `n${i}`;
            if (sev === 'gone') truth.delete(id);
            else truth.set(id, tile(id, sev));
            dirty.mark(id);
            if (i % 3 === 0) {
              const d = diffTiles(dirty.take(), (x) => truth.get(x), sent);
              for (const t of d.upsert) browser.set(t.id, t);
              for (const x of d.remove) browser.delete(x);
            }
          }
          const d = diffTiles(dirty.take(), (x) => truth.get(x), sent);
          for (const t of d.upsert) browser.set(t.id, t);
          for (const x of d.remove) browser.delete(x);
          expect([...browser.entries()].sort()).toEqual([...truth.entries()].sort());
        },
      ),
    );
  });
});
