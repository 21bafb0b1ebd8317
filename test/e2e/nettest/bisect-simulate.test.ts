/**
 * `keelson bisect --simulate` end to end: the real campaign and planner, the fake mpirun /
 * all_reduce_perf / ib_write_bw spawned as real processes with a fault map, their real-format
 * output read by the real parsers and judged against the H100 baseline.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCampaign } from '../../../collector/nettest/campaign.ts';
import { NodeLocks } from '../../../collector/nettest/locks.ts';
import { runBisectCommand, simulateBisection } from '../../../collector/nettest/simulate.ts';
import { InMemoryCampaignStore } from '../../../collector/nettest/store.ts';
import type { TestRunner } from '../../../collector/nettest/types.ts';
import { systemClock } from '../../../core/clock.ts';
import { fakeClusterRunner } from '../../../probes/nccl/fake-cluster.ts';

const deps = { makeRunner: (faultMap: string): TestRunner => fakeClusterRunner(faultMap) };

describe('keelson bisect --simulate (fake binaries, real processes)', () => {
  it('finds 1 bad node among 16 in 5 rounds and prints {"found","rounds"}', async () => {
    const r = await runBisectCommand({ simulate: true, nodes: 16, bad: ['node11'], json: true }, deps);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ found: ['node11'], rounds: 5, links: [], status: 'found' });
  }, 60_000);

  it('finds 1 bad node among 64 in 7 rounds', async () => {
    const r = await simulateBisection({ nodes: 64, bad: ['node37'] }, deps);
    expect(r.found).toEqual(['node37']);
    expect(r.rounds).toBe(7);
    // every test went through the real parser and the H100 multi-node baseline
    expect(r.history.every((h) => /h100-8gpu-ndr/.test(h.result.detail))).toBe(true);
  }, 90_000);

  it('finds 2 bad nodes among 64 within 1 + log2(64) + 1 rounds', async () => {
    const r = await simulateBisection({ nodes: 64, bad: ['node5', 'node50'] }, deps);
    expect([...r.found].sort()).toEqual(['node5', 'node50']);
    expect(r.rounds).toBe(7);
  }, 90_000);

  it('blames nobody on a healthy cluster', async () => {
    const r = await runBisectCommand({ simulate: true, nodes: 16, bad: [], json: true }, deps);
    expect(JSON.parse(r.stdout)).toMatchObject({ found: [], rounds: 1, status: 'healthy', tests: 1 });
    expect(r.exitCode).toBe(0);
  }, 60_000);

  it('finds a node whose fault shows only across the network, and a bad link', async () => {
    const r = await simulateBisection({ nodes: 8, bad: [], pairedOnly: ['node3'], links: [] }, deps);
    expect(r.found).toEqual(['node3']);
    const l = await simulateBisection({ nodes: 8, bad: [], links: [['node1', 'node6']] }, deps);
    expect(l.found).toEqual([]);
    expect(l.links.map((x) => [...x].sort())).toEqual([['node1', 'node6']]);
  }, 90_000);

  it('bisects with ib_write_bw pairs too', async () => {
    const r = await simulateBisection({ nodes: 8, bad: ['node2'], kind: 'ib-write-bw' }, deps);
    expect(r.found).toEqual(['node2']);
    expect(r.history.some((h) => /Gb\/s/.test(h.result.detail))).toBe(true);
  }, 90_000);

  it('rejects a bad node outside node0…node<n-1> with exit 2', async () => {
    const r = await runBisectCommand({ simulate: true, nodes: 4, bad: ['node9'], json: true }, deps);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toMatch(/node9/);
  });

  it('time-boxes a test whose collective hangs and names the hanging node', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'keelson-hang-'));
    try {
      const map = path.join(dir, 'faults.json');
      await writeFile(map, JSON.stringify({ nodes: { node2: { error: 'hang' } } }));
      const out = await runCampaign(
        { id: 'hang', kind: 'nccl-allreduce', nodes: ['node0', 'node1', 'node2', 'node3'], testTimeoutMs: 1500 },
        {
          runner: fakeClusterRunner(map),
          store: new InMemoryCampaignStore(),
          locks: new NodeLocks(),
          clock: systemClock,
          busyNodes: () => [],
        },
      );
      expect(out.verdict.culprits).toEqual(['node2']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
