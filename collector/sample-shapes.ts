/**
 * The names and labels of a probe's samples ("shape"), shared between nodes. A fleet of like
 * hosts reports the same series (gpu_temperature_celsius{gpu="0"} … on every HGX node), so 10,000
 * nodes hold a handful of shapes instead of 10,000 copies of their decoded sample objects — about
 * 7 KB a node, most of the collector's live heap at 10,000 agents, which every major GC marks.
 * Each node keeps only its values (a Float64Array). Shapes are kept most-recently-used first, up
 * to `max`: series whose labels differ on every node (a GPU UUID) still work, they just are not
 * shared once the table is full.
 */
import type { MetricSampleMsg } from '../protocol/messages.ts';

export interface SampleShape {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** The identity of a shape: names and labels in order. Pure. */
export function shapeKey(samples: readonly MetricSampleMsg[]): string {
  return JSON.stringify(samples.map((s) => (s.labels === undefined ? [s.name] : [s.name, s.labels])));
}

export class SampleShapes {
  private readonly byKey = new Map<string, readonly SampleShape[]>();

  constructor(private readonly max = 4096) {}

  /** The shared shape of these samples (a frozen copy made the first time it is seen). */
  intern(samples: readonly MetricSampleMsg[]): readonly SampleShape[] {
    const key = shapeKey(samples);
    const hit = this.byKey.get(key);
    if (hit) {
      // most recently used last: the first key is the one to drop
      this.byKey.delete(key);
      this.byKey.set(key, hit);
      return hit;
    }
    // Rebuilt from the key's text: fresh strings, not slices of the message they were decoded from.
    const copy = (JSON.parse(key) as [string, Record<string, string>?][]).map(([name, labels]) =>
      Object.freeze(labels === undefined ? { name } : { name, labels: Object.freeze(labels) }),
    );
    const shape = Object.freeze(copy);
    this.byKey.set(key, shape);
    if (this.byKey.size > this.max) this.byKey.delete(this.byKey.keys().next().value!);
    return shape;
  }

  /** How many shapes are held. */
  get size(): number {
    return this.byKey.size;
  }
}
