import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DurableReport, decideCommit, writeGlobalManifest } from './commit.ts';

const rep = (step: number, node: string, tier: string, ranks: number[]): DurableReport => ({
  job: 'j',
  step,
  node,
  tier,
  world: 4,
  ranks: ranks.map((rank) => ({
    rank,
    file: `r${rank}`,
    bytes: 8,
    shards: [{ name: 'w', offset: 0, size: 8, crc32: rank }],
  })),
});

describe('decideCommit', () => {
  it('commits only when every rank is durable on one tier', () => {
    expect(decideCommit([rep(5, 'a', 'nvme', [0, 1]), rep(5, 'b', 'pfs', [2, 3])], 4)).toBeUndefined();
    const m = decideCommit([rep(5, 'a', 'nvme', [0, 1]), rep(5, 'b', 'nvme', [2, 3]), rep(5, 'a', 'pfs', [0, 1])], 4);
    expect(m?.step).toBe(5);
    expect(m?.tiers).toEqual(['nvme']);
    expect(m?.ranks.map((r) => [r.rank, r.node])).toEqual([
      [0, 'a'],
      [1, 'a'],
      [2, 'b'],
      [3, 'b'],
    ]);
  });
  it('memory alone is not a commit; the newest committable step wins', () => {
    const r = [rep(9, 'a', 'memory', [0, 1, 2, 3]), rep(7, 'a', 'pfs', [0, 1, 2, 3])];
    expect(decideCommit(r, 4)?.step).toBe(7);
  });
  it('never commits a step with a rank missing (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            step: fc.nat(5),
            node: fc.constantFrom('a', 'b'),
            tier: fc.constantFrom('memory', 'peer', 'nvme', 'pfs'),
            ranks: fc.uniqueArray(fc.nat(3)),
          }),
        ),
        (rs) => {
          const reports = rs.map((r) => rep(r.step, r.node, r.tier, r.ranks));
          const m = decideCommit(reports, 4);
          if (!m) return;
          expect(m.ranks.map((r) => r.rank)).toEqual([0, 1, 2, 3]);
          for (const t of m.tiers) {
            const have = new Set(
              reports.filter((x) => x.step === m.step && x.tier === t).flatMap((x) => x.ranks.map((c) => c.rank)),
            );
            expect(have.size).toBe(4);
          }
        },
      ),
    );
  });
});

describe('writeGlobalManifest', () => {
  it('writes MANIFEST and moves LATEST forward only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kgm-'));
    const m = decideCommit([rep(5, 'a', 'pfs', [0, 1, 2, 3])], 4, { now: 1 })!;
    expect(await writeGlobalManifest(dir, m)).toBe(true);
    expect(await writeGlobalManifest(dir, { ...m, step: 3 })).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, 'j', 'LATEST'), 'utf8')).step).toBe(5);
    expect(JSON.parse(readFileSync(join(dir, 'j', 'step-000000000003', 'MANIFEST.json'), 'utf8')).step).toBe(3);
  });
});
