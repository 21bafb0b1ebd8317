import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../core/errors.ts';
import { decodeAgentMessage, decodeCollectorMessage } from './codec.ts';
import { FAST_SHAPES, fastAgentMessage, fastCollectorMessage } from './fast-validate.ts';
import {
  AGENT_MESSAGE_TYPES,
  ackSchema,
  agentMessageSchema,
  COLLECTOR_MESSAGE_TYPES,
  collectorMessageSchema,
  heartbeatSchema,
  metricSampleSchema,
  metricsSchema,
  PROBE_STATUSES,
  probeStatusSchema,
} from './messages.ts';
import { PROTOCOL_VERSION } from './version.ts';

type Rec = Record<string, unknown>;
const packr = new Packr({ useRecords: false, moreTypes: false, int64AsType: 'number', mapsAsObjects: true });

// Strings near the limits (in UTF-16 units and in code points: zod counts code points).
const text = (max: number) =>
  fc.oneof(
    { arbitrary: fc.string({ maxLength: 8 }), weight: 6 },
    fc.string({ minLength: max - 2, maxLength: max + 2 }),
    fc.string({ unit: 'grapheme', minLength: max / 2 - 1, maxLength: max / 2 + 1 }),
  );
// mostly valid values, now and then one just outside (negative, fractional, unsafe, NaN, infinite)
const int = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 2 ** 40 }), weight: 12 },
  fc.integer({ min: -2, max: 0 }),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, 2 ** 53, 1.5),
);
const num = fc.oneof(
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 40 },
  fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY),
);

const labels = fc.dictionary(text(128), text(512), { maxKeys: 66, noNullPrototype: true });
const probe = fc.record(
  {
    name: text(256),
    status: fc.constantFrom(...PROBE_STATUSES, 'broken'),
    reason: text(2048),
    lastRun: int,
    durationMs: num,
  },
  { requiredKeys: ['name', 'status'], noNullPrototype: true },
);
const sample = fc.record(
  { name: text(200), value: num, labels },
  { requiredKeys: ['name', 'value'], noNullPrototype: true },
);
const metrics = fc.record(
  {
    v: fc.constant(1),
    ts: int,
    type: fc.constant('metrics'),
    seq: int,
    probe,
    samples: fc.array(sample, { maxLength: 6 }),
  },
  { requiredKeys: ['v', 'ts', 'type', 'seq', 'samples'], noNullPrototype: true },
);
const heartbeat = fc.record({ v: fc.constant(1), ts: int, type: fc.constant('heartbeat') }, { noNullPrototype: true });
const ack = fc.record({ v: fc.constant(1), ts: int, type: fc.constant('ack'), seq: int }, { noNullPrototype: true });

/** A mutation somewhere in the message: a key set to anything (or undefined), deleted, or added. */
function mutate(base: fc.Arbitrary<Rec>): fc.Arbitrary<Rec> {
  const value = fc.oneof(
    fc.anything({ withNullPrototype: true, withObjectString: true, withDate: true }),
    fc.constantFrom(undefined, null, Number.NaN, Number.POSITIVE_INFINITY, -1, 0, 1.5, '', [], {}, new Date(0)),
  );
  return fc
    .tuple(base, fc.nat(), fc.nat(), fc.constantFrom('set', 'delete', 'add'), fc.string(), value)
    .map(([m0, pick, pickKey, op, newKey, v]) => {
      const m = structuredClone(m0);
      // every object in the message: the message, its probe, each sample and its labels
      const objects: Rec[] = [m];
      if (m.probe) objects.push(m.probe as Rec);
      for (const s of (m.samples as Rec[] | undefined) ?? []) {
        objects.push(s);
        if (s.labels) objects.push(s.labels as Rec);
      }
      const o = objects[pick % objects.length]!;
      const keys = Object.keys(o);
      const key = op === 'add' || keys.length === 0 ? newKey : keys[pickKey % keys.length]!;
      if (op === 'delete') delete o[key];
      else Object.defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
      return m;
    });
}

/** The fast check may only answer what zod accepts, and then the very value zod returns. */
function agrees(fast: (m: Rec) => Rec | undefined, schema: typeof agentMessageSchema | typeof collectorMessageSchema) {
  return (m: Rec): void => {
    const quick = fast(m);
    const parsed = schema.safeParse(m);
    if (quick !== undefined) {
      expect(parsed.success).toBe(true);
      expect(quick).toStrictEqual(parsed.data);
    }
  };
}

/** The codec before the fast path: unpack, then zod; its outcome as a comparable value. */
function zodOnly(bytes: Uint8Array, schema: typeof agentMessageSchema | typeof collectorMessageSchema): unknown {
  const raw = packr.unpack(bytes) as Rec;
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: parsed.data };
  const issue = parsed.error.issues[0];
  return { code: 'PROTO_INVALID', message: `${raw.type}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}` };
}

function outcome(fn: () => unknown): unknown {
  try {
    return { ok: fn() };
  } catch (err) {
    if (!isKeelsonError(err)) throw err;
    return { code: err.code, message: err.message };
  }
}

describe('fast validation of frequent messages', () => {
  it('knows exactly the fields the schemas have (a new field must be taught to it)', () => {
    expect(Object.keys(metricsSchema.shape)).toEqual(FAST_SHAPES.metrics);
    expect(Object.keys(heartbeatSchema.shape)).toEqual(FAST_SHAPES.heartbeat);
    expect(Object.keys(ackSchema.shape)).toEqual(FAST_SHAPES.ack);
    expect(Object.keys(probeStatusSchema.shape)).toEqual(FAST_SHAPES.probe);
    expect(Object.keys(metricSampleSchema.shape)).toEqual(FAST_SHAPES.sample);
  });

  it('vouches for the usual valid messages (so the hot path really is fast)', () => {
    const samples = [
      { name: 'gpu_temperature_celsius', value: 41, labels: { gpu: '0' } },
      { name: 'host_load1', value: 0.5 },
    ];
    const m = { v: 1, ts: 5, type: 'metrics', seq: 3, probe: { name: 'gpu', status: 'ok', lastRun: 4 }, samples };
    expect(fastAgentMessage(m)).toBe(m);
    expect(fastAgentMessage({ v: 1, ts: 0, type: 'heartbeat' })).toBeDefined();
    expect(fastCollectorMessage({ v: 1, ts: 0, type: 'ack', seq: 0 })).toBeDefined();
    expect(fastCollectorMessage({ v: 1, ts: 0, type: 'heartbeat' })).toBeDefined();
    // everything else is left to zod
    expect(fastAgentMessage({ v: 1, ts: 0, type: 'ack', seq: 1 })).toBeUndefined();
    expect(fastAgentMessage({ ...m, extra: 1 })).toBeUndefined();
    expect(fastAgentMessage({ ...m, probe: undefined })).toBeUndefined();
    expect(fastAgentMessage({ ...m, samples: [{ name: 'x', value: Number.NaN }] })).toBeUndefined();
    // the edges the generators rarely reach: the label count, and a `__proto__` key zod would drop
    const labels = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
    const withLabels = (l: Rec) => ({ ...m, samples: [{ name: 'x', value: 1, labels: l }] });
    expect(fastAgentMessage(withLabels(labels(64)))).toBeDefined();
    expect(fastAgentMessage(withLabels(labels(65)))).toBeUndefined();
    expect(fastAgentMessage(withLabels(JSON.parse('{"__proto__":"x"}')))).toBeUndefined();
    expect(agentMessageSchema.safeParse(withLabels(JSON.parse('{"__proto__":"x"}'))).data).not.toEqual(
      withLabels(JSON.parse('{"__proto__":"x"}')),
    );
  });

  it('answers only what zod accepts, with the value zod returns: valid messages', () => {
    let vouched = 0;
    const check = agrees(fastAgentMessage, agentMessageSchema);
    fc.assert(
      fc.property(fc.oneof(metrics, heartbeat), (m) => {
        check(m);
        if (m.type === 'metrics' && fastAgentMessage(m)) vouched++;
      }),
      { numRuns: 1500 },
    );
    expect(vouched).toBeGreaterThan(50); // the generator does reach the accepting path for metrics
    fc.assert(fc.property(fc.oneof(ack, heartbeat), agrees(fastCollectorMessage, collectorMessageSchema)), {
      numRuns: 500,
    });
  });

  it('answers only what zod accepts, with the value zod returns: mutated messages', () => {
    fc.assert(fc.property(mutate(fc.oneof(metrics, heartbeat)), agrees(fastAgentMessage, agentMessageSchema)), {
      numRuns: 3000,
    });
    fc.assert(fc.property(mutate(fc.oneof(ack, heartbeat)), agrees(fastCollectorMessage, collectorMessageSchema)), {
      numRuns: 1500,
    });
  });

  it('leaves the codec answering exactly as the zod-only codec did (same value, same error)', () => {
    // frames that pass the codec's own checks (map, version, known type) before validation
    const frames = (a: fc.Arbitrary<Rec>, types: readonly string[]) =>
      mutate(a)
        .filter((m) => m.v === PROTOCOL_VERSION && types.includes(m.type as string))
        .map((m) => packr.pack(m) as Uint8Array);
    fc.assert(
      fc.property(frames(metrics, AGENT_MESSAGE_TYPES), (bytes) => {
        expect(outcome(() => decodeAgentMessage(bytes))).toStrictEqual(zodOnly(bytes, agentMessageSchema));
      }),
      { numRuns: 1500 },
    );
    fc.assert(
      fc.property(frames(ack, COLLECTOR_MESSAGE_TYPES), (bytes) => {
        expect(outcome(() => decodeCollectorMessage(bytes))).toStrictEqual(zodOnly(bytes, collectorMessageSchema));
      }),
      { numRuns: 500 },
    );
  });
});
