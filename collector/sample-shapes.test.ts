import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MetricSampleMsg } from '../protocol/messages.ts';
import { SampleShapes, shapeKey } from './sample-shapes.ts';

const gpuSamples = (value: number, gpus = 8): MetricSampleMsg[] =>
  Array.from({ length: gpus }, (_, g) => [
    { name: 'gpu_temperature_celsius', value, labels: { gpu: String(g) } },
    { name: 'gpu_power_draw_watts', value, labels: { gpu: String(g) } },
  ]).flat();

describe('SampleShapes', () => {
  it('gives nodes that report the same series one shared, frozen shape', () => {
    const shapes = new SampleShapes();
    const a = shapes.intern(gpuSamples(40));
    const b = shapes.intern(gpuSamples(77));
    expect(b).toBe(a);
    expect(shapes.size).toBe(1);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a[0]!.labels)).toBe(true);
    expect(a.map((s) => [s.name, s.labels])).toEqual(gpuSamples(0).map((s) => [s.name, s.labels]));
    expect(a[0]).not.toHaveProperty('value');
    // another series set, or other labels, is another shape
    expect(shapes.intern(gpuSamples(40, 4))).not.toBe(a);
    expect(shapes.intern([{ name: 'up', value: 1 }])).not.toBe(a);
    expect(shapes.size).toBe(3);
  });

  it('holds at most `max` shapes, dropping the least recently used', () => {
    const shapes = new SampleShapes(2);
    const one = shapes.intern([{ name: 'one', value: 1 }]);
    shapes.intern([{ name: 'two', value: 1 }]);
    expect(shapes.intern([{ name: 'one', value: 2 }])).toBe(one); // used again: now the newest
    shapes.intern([{ name: 'three', value: 1 }]); // drops 'two'
    expect(shapes.size).toBe(2);
    expect(shapes.intern([{ name: 'one', value: 3 }])).toBe(one);
    const twoAgain = shapes.intern([{ name: 'two', value: 1 }]);
    expect(twoAgain.map((s) => s.name)).toEqual(['two']);
    expect(shapes.size).toBe(2);
  });

  it('keys equal series equally and different series differently (property)', () => {
    const sample = fc.record(
      {
        name: fc.string({ maxLength: 12 }),
        value: fc.double(),
        labels: fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
      },
      { requiredKeys: ['name', 'value'] },
    );
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 8 }), fc.array(sample, { maxLength: 8 }), (a, b) => {
        const series = (xs: MetricSampleMsg[]) => JSON.stringify(xs.map((s) => [s.name, s.labels]));
        expect(shapeKey(a) === shapeKey(b)).toBe(series(a) === series(b));
        const withOtherValues = a.map((s) => ({ ...s, value: s.value + 1 }));
        expect(shapeKey(withOtherValues)).toBe(shapeKey(a));
        // the shape reproduces the names and labels it was made from
        const shape = new SampleShapes().intern(a);
        expect(shape.map((s) => [s.name, s.labels])).toEqual(a.map((s) => [s.name, s.labels]));
      }),
    );
  });
});
