/**
 * Batching of live updates for browsers: node changes are collected between flushes (a node
 * that changes 50 times in one window is sent once), and a flush sends only tiles that would
 * draw differently from what was last sent. Pure apart from the Set it owns.
 */
import { sameTile, type Tile } from './tiles.ts';

/** A message on /ws/ui, server to browser. */
export type UiMessage =
  | { type: 'hello'; version: 1; batchMs: number; serverTime: number }
  | { type: 'snapshot'; seq: number; serverTime: number; tiles: Tile[] }
  | { type: 'delta'; seq: number; serverTime: number; upsert: Tile[]; remove: string[] };

/** Collects the ids of nodes that changed since the last take. */
export class DirtySet {
  private ids = new Set<string>();

  mark(id: string): void {
    this.ids.add(id);
  }

  get size(): number {
    return this.ids.size;
  }

  /** Everything marked since the last call, each id once. */
  take(): string[] {
    const out = [...this.ids];
    this.ids = new Set();
    return out;
  }
}

/**
 * The delta for `ids` against what browsers last received (`sent`, updated in place):
 * tiles that changed how they draw, and ids that no longer exist.
 */
export function diffTiles(
  ids: readonly string[],
  lookup: (id: string) => Tile | undefined,
  sent: Map<string, Tile>,
): { upsert: Tile[]; remove: string[] } {
  const upsert: Tile[] = [];
  const remove: string[] = [];
  for (const id of ids) {
    const now = lookup(id);
    const before = sent.get(id);
    if (!now) {
      if (before) {
        sent.delete(id);
        remove.push(id);
      }
    } else if (!before || !sameTile(before, now)) {
      sent.set(id, now);
      upsert.push(now);
    }
  }
  return { upsert, remove };
}
