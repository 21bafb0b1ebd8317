/**
 * The simulated fleet: real agents on fixture hardware behind fake tools. Each injected fault
 * reaches the collector as the finding the real hardware would produce.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/clock.ts';
import { silentLogger } from '../../core/logger.ts';
import { type SimFleet, startSimFleet } from '../../sim/fleet.ts';
import { applyStep } from '../../sim/scenarios.ts';
import { getJson, tempDir, waitFor } from '../helpers/processes.ts';

let fleet: SimFleet;
let url: string;

interface Detail {
  node: { health: string };
  probes: { name: string; status: string }[];
  findings: { code: string; component: string; severity: string }[];
}

const detail = (id: string) => getJson<Detail>(`${url}/api/nodes/${id}`);

beforeAll(async () => {
  fleet = await startSimFleet({
    nodes: 3,
    dir: tempDir('keelson-sim-'),
    port: 0,
    clock: systemClock,
    log: silentLogger(),
    intervalSec: 1,
  });
  url = fleet.collector.url;
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
});

describe('simulated fleet', () => {
  it('starts healthy, with every hardware probe running on the fixtures', async () => {
    const d = await waitFor(
      async () => {
        const x = await detail('node01');
        return x.probes.length >= 7 && x.probes.every((p) => p.status === 'ok') ? x : undefined;
      },
      20_000,
      'all probes ok on node01',
    );
    expect(d.node.health).toBe('healthy');
    expect(d.probes.map((p) => p.name).sort()).toEqual([
      'driver',
      'gpu',
      'host',
      'host-hw',
      'kernel-log',
      'nvme',
      'rdma',
    ]);
  }, 30_000);

  it('turns each injected fault into its finding at the collector', async () => {
    const now = Date.now();
    await applyStep({ atSec: 0, node: 0, fault: 'xid', xid: 79, gpu: 2 }, fleet.nodes, now);
    await applyStep({ atSec: 0, node: 1, fault: 'ib-port', device: 'mlx5_3', up: false }, fleet.nodes, now);
    await applyStep({ atSec: 0, node: 2, fault: 'nvme-wear', percentUsed: 100 }, fleet.nodes, now);
    await applyStep({ atSec: 0, node: 2, fault: 'row-remap-failure', failed: true }, fleet.nodes, now);
    const has = async (id: string, code: string) => (await detail(id)).findings.find((f) => f.code === code);
    expect(await waitFor(() => has('node01', 'gpu.xid.79'), 10_000, 'xid 79')).toMatchObject({
      component: 'gpu:0000:3a:00.0',
      severity: 'fatal',
    });
    expect(await waitFor(() => has('node02', 'ib.port.down'), 10_000, 'port down')).toMatchObject({
      component: 'ib:mlx5_3/1',
      severity: 'degraded',
    });
    expect(await waitFor(() => has('node03', 'nvme.wear'), 10_000, 'nvme wear')).toMatchObject({
      severity: 'degraded',
    });
    expect(await waitFor(() => has('node03', 'gpu.rowremap.failure'), 10_000, 'row remap failure')).toMatchObject({
      severity: 'fatal',
    });
  }, 40_000);
});
