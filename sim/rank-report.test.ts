/** The simulated ranks' report lines parse as the agent parses the Python client's; shard bytes are fixed by (job, rank, step, shard). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseReportLine } from '../agent/training/ingest-server.ts';
import { rankReportLine, rankShards, shardPattern, syntheticLoss } from './rank-report.ts';

const report = fc.record(
  {
    job: fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/),
    rank: fc.nat(4095),
    world: fc.integer({ min: 1, max: 4096 }),
    node: fc.stringMatching(/^node[0-9]{2,3}$/),
    step: fc.nat(10_000_000),
    ts: fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 }),
    stepMs: fc.integer({ min: 1, max: 600_000 }),
    loss: fc.double({ min: 0, max: 100, noNaN: true }),
    restoredFrom: fc.nat(10_000_000),
    phase: fc.constantFrom('train' as const, 'eval' as const, 'checkpoint' as const, 'idle' as const),
  },
  { requiredKeys: ['job', 'rank', 'world', 'node', 'step', 'ts'] },
);

describe('rankReportLine', () => {
  it('is one NDJSON line the agent accepts with every field intact (property)', () => {
    fc.assert(
      fc.property(report, (r) => {
        const line = rankReportLine(r);
        expect(line.endsWith('\n')).toBe(true);
        expect(line.indexOf('\n')).toBe(line.length - 1);
        expect(parseReportLine(line)).toEqual(r);
      }),
    );
  });

  it('writes the keys in the Python client order', () => {
    const line = rankReportLine({
      job: 'j',
      rank: 3,
      world: 8,
      node: 'node01',
      step: 12,
      ts: 1000,
      stepMs: 950,
      loss: 2.5,
      restoredFrom: 10,
    });
    expect(line).toBe(
      '{"job":"j","rank":3,"step":12,"ts":1000,"world":8,"node":"node01","loss":2.5,"stepMs":950,"restoredFrom":10}\n',
    );
  });
});

describe('syntheticLoss', () => {
  it('falls over training and stays finite and positive', () => {
    expect(syntheticLoss(1000, 0)).toBeLessThan(syntheticLoss(10, 0));
    for (let s = 0; s < 2000; s += 37) {
      const l = syntheticLoss(s, s % 8);
      expect(Number.isFinite(l) && l > 1.9).toBe(true);
    }
  });
});

describe('shardPattern', () => {
  it('is the same bytes for the same (job, rank, step, shard) and different ones otherwise', () => {
    const a = shardPattern('j', 1, 10, 'model', 256);
    expect(shardPattern('j', 1, 10, 'model', 256)).toEqual(a);
    for (const other of [
      shardPattern('k', 1, 10, 'model', 256),
      shardPattern('j', 2, 10, 'model', 256),
      shardPattern('j', 1, 11, 'model', 256),
      shardPattern('j', 1, 10, 'optim', 256),
    ]) {
      expect(Buffer.compare(other, a)).not.toBe(0);
    }
  });

  it('rankShards: a model shard of the size asked and a quarter-size optimizer shard', () => {
    const s = rankShards('j', 0, 5, 4096);
    expect(s.model?.byteLength).toBe(4096);
    expect(s.optim?.byteLength).toBe(1024);
  });
});
