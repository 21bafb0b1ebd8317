import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { isKeelsonError } from '../../core/errors.ts';
import { runCampaign } from './campaign.ts';
import { nettestCatalog } from './catalog.ts';
import { type FaultModel, modelResult } from './fault-model.ts';
import { NodeLocks } from './locks.ts';
import { InMemoryCampaignStore } from './store.ts';
import type { TestRunner } from './types.ts';

const names = (n: number) => Array.from({ length: n }, (_, i) => `node${i}`);
const modelRunner = (faults: FaultModel, seen: string[][] = []): TestRunner => ({
  async runTest(nodes, kind) {
    seen.push(nodes);
    return modelResult(nodes, kind, faults);
  },
});

function deps(runner: TestRunner, busy: string[] = []) {
  return {
    runner,
    store: new InMemoryCampaignStore(),
    locks: new NodeLocks(),
    clock: new ManualClock(1000),
    busyNodes: () => busy,
  };
}

describe('campaign', () => {
  it('stores every round and the verdict, and turns the culprit into net.nccl.slow', async () => {
    const d = deps(modelRunner({ bad: ['node6'] }));
    const out = await runCampaign({ id: 'c1', kind: 'nccl-allreduce', nodes: names(8), testTimeoutMs: 60_000 }, d);
    expect(out.verdict.culprits).toEqual(['node6']);
    const tests = await d.store.listTests('c1');
    expect(tests.map((t) => t.round)).toEqual([1, 2, 2, 3, 3, 4, 4]);
    expect((await d.store.getCampaign('c1'))?.verdict?.culprits).toEqual(['node6']);
    expect((await d.store.getCampaign('c1'))?.status).toBe('done');
    expect(out.observations).toHaveLength(1);
    const [o] = out.observations;
    expect(o?.node).toBe('node6');
    expect(o?.observation).toMatchObject({
      code: 'net.nccl.slow',
      component: 'net',
      severity: 'degraded',
      action: 'drain',
    });
    expect(o?.observation.evidence).toMatch(/node6/);
    expect(nettestCatalog.map((c) => c.code)).toContain(o?.observation.code);
  });

  it('raises net.ib.bw for an ib_write_bw campaign and link findings on both ends', async () => {
    const d = deps(modelRunner({ links: [['node2', 'node5']] }));
    const out = await runCampaign({ id: 'c2', kind: 'ib-write-bw', nodes: names(8), testTimeoutMs: 1000 }, d);
    expect(out.verdict.links.map((l) => [...l].sort())).toEqual([['node2', 'node5']]);
    expect(out.observations.map((o) => `${o.node} ${o.observation.code} ${o.observation.component}`).sort()).toEqual([
      'node2 net.ib.bw link:node5',
      'node5 net.ib.bw link:node2',
    ]);
  });

  it('leaves out nodes that run a job unless forced', async () => {
    const seen: string[][] = [];
    const d = deps(modelRunner({}, seen), ['node1', 'node3']);
    const out = await runCampaign({ id: 'c3', kind: 'nccl-allreduce', nodes: names(4), testTimeoutMs: 1000 }, d);
    expect(out.record.skipped).toEqual(['node1', 'node3']);
    expect(seen.flat()).not.toContain('node1');
    expect(seen.flat()).not.toContain('node3');
    const forced = await runCampaign(
      { id: 'c4', kind: 'nccl-allreduce', nodes: names(4), testTimeoutMs: 1000, force: true },
      d,
    );
    expect(forced.record.nodes).toEqual(names(4));
    await expect(
      runCampaign({ id: 'c5', kind: 'nccl-allreduce', nodes: ['node1', 'node3'], testTimeoutMs: 1000 }, d),
    ).rejects.toSatisfy((e) => isKeelsonError(e, 'NETTEST_NO_NODES'));
  });

  it('runs one campaign at a time per node, and frees the nodes afterwards', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slowRunner: TestRunner = {
      async runTest(nodes, kind) {
        await gate;
        return modelResult(nodes, kind, {});
      },
    };
    const d = deps(slowRunner);
    const first = runCampaign({ id: 'a', kind: 'nccl-allreduce', nodes: names(4), testTimeoutMs: 5000 }, d);
    await Promise.resolve();
    await expect(
      runCampaign({ id: 'b', kind: 'nccl-allreduce', nodes: ['node3', 'node9'], testTimeoutMs: 5000 }, d),
    ).rejects.toSatisfy((e) => isKeelsonError(e, 'NETTEST_BUSY') && /node3/.test((e as Error).message));
    release();
    await first;
    expect(d.locks.holderOf('node3')).toBeUndefined();
    const again = await runCampaign(
      { id: 'b2', kind: 'nccl-allreduce', nodes: ['node3', 'node9'], testTimeoutMs: 5000 },
      d,
    );
    expect(again.verdict.status).toBe('healthy');
  });

  it('time-boxes a runner that never answers: the test counts as a timeout', async () => {
    const hanging: TestRunner = {
      runTest: (nodes, kind) =>
        nodes.includes('node1') ? new Promise(() => {}) : Promise.resolve(modelResult(nodes, kind, {})),
    };
    const d = deps(hanging);
    const t0 = Date.now();
    const out = await runCampaign(
      { id: 'h', kind: 'nccl-allreduce', nodes: names(4), testTimeoutMs: 50, graceMs: 20 },
      d,
    );
    expect(out.verdict.culprits).toEqual(['node1']);
    const tests = await d.store.listTests('h');
    expect(tests.filter((t) => t.result.outcome === 'timeout').length).toBeGreaterThanOrEqual(3);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('aborts without blaming anyone when a test cannot run', async () => {
    const broken: TestRunner = {
      runTest: async () => {
        throw new Error('mpirun is not installed');
      },
    };
    const d = deps(broken);
    const out = await runCampaign({ id: 'x', kind: 'nccl-allreduce', nodes: names(4), testTimeoutMs: 1000 }, d);
    expect(out.verdict.status).toBe('aborted');
    expect(out.observations).toEqual([]);
    expect((await d.store.getCampaign('x'))?.status).toBe('aborted');
  });
});
