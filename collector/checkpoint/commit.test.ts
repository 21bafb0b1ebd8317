import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { ckptCommittedSchema, ckptDurableSchema } from '../../protocol/messages.ts';
import { GlobalCommitter } from './commit.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const report = (node: string, tier: string, ranks: number[], step = 4) =>
  ckptDurableSchema.parse({
    v: 1,
    ts: 1,
    type: 'ckpt-durable',
    seq: 1,
    job: 'job',
    step,
    node,
    tier,
    world: 4,
    ranks: ranks.map((rank) => ({
      rank,
      file: `rank-${rank}.data`,
      bytes: 4,
      shards: [{ name: 'w', offset: 0, size: 4, crc32: 7 }],
    })),
  });

describe('GlobalCommitter', () => {
  it('writes MANIFEST and LATEST only once every node has reported every rank', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kgc-'));
    dirs.push(dir);
    const c = new GlobalCommitter(dir, new ManualClock(1000));
    expect(await c.report(report('a', 'pfs', [0, 1]))).toBeUndefined();
    expect(() => readFileSync(join(dir, 'job', 'LATEST'))).toThrow();
    const m = await c.report(report('b', 'pfs', [2, 3]));
    expect(m?.step).toBe(4);
    expect(ckptCommittedSchema.parse({ v: 1, ts: 1, type: 'ckpt-committed', manifest: m }).manifest.ranks).toHaveLength(
      4,
    );
    expect(JSON.parse(readFileSync(join(dir, 'job', 'LATEST'), 'utf8'))).toEqual({
      job: 'job',
      step: 4,
      committedAt: 1000,
    });
    // The same report again makes no new commit; an older step never moves LATEST back.
    expect(await c.report(report('b', 'pfs', [2, 3]))).toBeUndefined();
    expect(await c.report(report('a', 'nvme', [0, 1, 2, 3], 3))).toBeUndefined();
  });
});
