/**
 * A live network-test campaign: the collector picks launchers among four real agents, which run
 * the (fake) nccl-tests through the (fake) mpirun exactly as they would run the real ones; the
 * bisection names the slow node, the campaign and its rounds are stored, and the culprit gets
 * `net.nccl.slow` at the collector.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  getJson,
  type KeelsonProcess,
  REPO_ROOT,
  startAgent,
  startCollector,
  TEST_TOKEN,
  tempDir,
  waitFor,
} from '../../helpers/processes.ts';

const procs: KeelsonProcess[] = [];
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
});

const FAKES = join(REPO_ROOT, 'sim/fakes/bin');

describe('live network-test campaign', () => {
  it('finds the slow node through the agents and raises net.nccl.slow on it', async () => {
    const dir = tempDir('keelson-nettest-');
    const faults = join(dir, 'faults.json');
    writeFileSync(
      faults,
      JSON.stringify({ gpu: 'NVIDIA H100 80GB HBM3', gpusPerNode: 8, nodes: { node2: { busbwFactor: 0.35 } } }),
    );
    const collector = await startCollector({ config: { operatorTokens: [TEST_TOKEN] } });
    procs.push(collector.proc);
    const nodes = ['node0', 'node1', 'node2', 'node3'];
    for (const n of nodes) {
      const { proc } = startAgent({
        nodeId: n,
        collector: { url: collector.wsUrl, token: TEST_TOKEN },
        probes: Object.fromEntries(
          ['host', 'host-hw', 'gpu', 'rdma', 'nvme', 'driver', 'kernel-log'].map((p) => [p, { enabled: false }]),
        ),
        training: { enabled: false },
        nettest: {
          launcherPath: join(FAKES, 'mpirun'),
          binary: join(FAKES, 'all_reduce_perf'),
          env: { KEELSON_FAKE_FAULTS: faults },
        },
      });
      procs.push(proc);
    }
    await waitFor(
      async () =>
        (await getJson<{ nodes: { state: string }[] }>(`${collector.url}/api/nodes`)).nodes.filter(
          (x) => x.state === 'online',
        ).length === 4,
      20_000,
      'four agents online',
    );
    const unauth = await fetch(`${collector.url}/api/nettest/campaigns`, {
      method: 'POST',
      body: JSON.stringify({ nodes }),
    });
    expect(unauth.status).toBe(401);
    const start = await fetch(`${collector.url}/api/nettest/campaigns`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
      // no nodes named: every connected node that runs no job
      body: JSON.stringify({ testTimeoutMs: 30_000 }),
    });
    expect(start.status).toBe(202);
    const { id } = (await start.json()) as { id: string };
    type Campaign = {
      campaign: { status: string; verdict?: { culprits: string[]; rounds: number } };
      tests: unknown[];
    };
    const done = await waitFor(
      async () => {
        const c = await getJson<Campaign>(`${collector.url}/api/nettest/campaigns/${id}`);
        return c.campaign.status !== 'running' ? c : undefined;
      },
      60_000,
      'the campaign to finish',
    );
    expect(done.campaign.status).toBe('done');
    expect(done.campaign.verdict?.culprits).toEqual(['node2']);
    expect(done.tests.length).toBeGreaterThanOrEqual(3);
    const f = await waitFor(
      async () =>
        (
          await getJson<{ findings: { node: string; code: string }[] }>(
            `${collector.url}/api/findings?code=net.nccl.slow&active=true`,
          )
        ).findings,
      5000,
      'net.nccl.slow',
    );
    expect(f.map((x) => x.node)).toEqual(['node2']);
  }, 90_000);
});
