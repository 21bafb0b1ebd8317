import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactJournal, Journal, replayJournal } from './journal.ts';

describe('replayJournal', () => {
  it('keeps begun-but-unfinished flushes in flight and ignores a torn last line', () => {
    const text = [
      JSON.stringify({ t: 'begin', tier: 'nvme', job: 'j', step: 1, at: 1 }),
      JSON.stringify({ t: 'durable', tier: 'nvme', job: 'j', step: 1, at: 2 }),
      JSON.stringify({ t: 'begin', tier: 'nvme', job: 'j', step: 2, at: 3 }),
      '{"t":"durable","tier":"nvme","jo',
    ].join('\n');
    const s = replayJournal(text);
    expect([...(s.durable.get('nvme/j') ?? [])]).toEqual([1]);
    expect(s.inFlight).toEqual([{ tier: 'nvme', job: 'j', step: 2 }]);
  });

  it('survives any garbage and compaction preserves the state', () => {
    const entry = fc.oneof(
      fc.record({
        t: fc.constantFrom('begin', 'durable', 'abandon', 'deleted'),
        tier: fc.constantFrom('nvme', 'pfs'),
        job: fc.constantFrom('a', 'b'),
        step: fc.nat(20),
        at: fc.nat(),
      }),
      fc.record({ t: fc.constant('committed'), job: fc.constantFrom('a', 'b'), step: fc.nat(20), at: fc.nat() }),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            entry.map((e) => JSON.stringify(e)),
            fc.string(),
          ),
        ),
        (lines) => {
          const s = replayJournal(lines.join('\n'));
          const again = replayJournal(
            compactJournal(s, 0)
              .map((e) => JSON.stringify(e))
              .join('\n'),
          );
          expect(again.durable).toEqual(s.durable);
          expect(again.committed).toEqual(s.committed);
          expect(new Set(again.inFlight.map((f) => JSON.stringify(f)))).toEqual(
            new Set(s.inFlight.map((f) => JSON.stringify(f))),
          );
        },
      ),
    );
  });

  it('compacts on disk past maxLines and replays the same', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kj-')), 'journal');
    const { journal } = await Journal.open(path, 10);
    for (let i = 0; i < 25; i++) {
      await journal.append({ t: 'begin', tier: 'nvme', job: 'j', step: i, at: i });
      await journal.append({ t: 'durable', tier: 'nvme', job: 'j', step: i, at: i });
    }
    const { state } = await Journal.open(path);
    expect(state.durable.get('nvme/j')?.size).toBe(25);
    expect(state.inFlight).toEqual([]);
  });
});
