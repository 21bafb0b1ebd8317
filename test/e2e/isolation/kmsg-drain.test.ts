/**
 * The whole path on real parts: a real-format Xid 79 written to /dev/kmsg on an agent → the
 * agent's kernel-log watcher → the collector → the isolation policy → `scontrol` → that Slurm
 * node is DRAINed with Keelson's reason within 2 s. Needs root (/dev/kmsg) and Debian's Slurm.
 */
import { accessSync, constants, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type CollectorHandle,
  type KeelsonProcess,
  startAgent,
  startCollector,
  TEST_TOKEN,
  waitFor,
} from '../../helpers/processes.ts';
import { type SlurmCluster, slurmAvailable, startSlurmCluster } from '../../helpers/slurm-cluster.ts';

function kmsgWritable(): boolean {
  try {
    accessSync('/dev/kmsg', constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

let slurm: SlurmCluster | undefined;
let collector: CollectorHandle | undefined;
let agent: KeelsonProcess | undefined;

afterAll(async () => {
  await agent?.stop('SIGKILL');
  await collector?.proc.stop('SIGKILL');
  await slurm?.stop();
});

describe.skipIf(!slurmAvailable() || !kmsgWritable())('kmsg Xid → Slurm DRAIN', () => {
  it('drains the node with Keelson’s reason within 2 s', async () => {
    slurm = await startSlurmCluster({ count: 4, prefix: 'kd' });
    collector = await startCollector({
      config: { isolation: { mode: 'enforce', slurm: { enabled: true, slurmConf: slurm.env.SLURM_CONF } } },
    });
    agent = startAgent({
      nodeId: 'kd02',
      collector: { url: collector.wsUrl, token: TEST_TOKEN },
      probes: { host: { enabled: false }, 'host-hw': { enabled: false } },
    }).proc;
    const a = agent;
    await waitFor(() => a.output.includes('"source":"kmsg"'), 15_000, 'agent following /dev/kmsg');
    await waitFor(() => a.output.includes('session with collector established'), 15_000, 'agent session');
    expect((await slurm.states()).get('kd02')?.state).toBe('idle');

    const bus = `0000:${(0xc0 + Math.floor(Math.random() * 16)).toString(16)}:00`;
    const t0 = Date.now();
    writeFileSync(
      '/dev/kmsg',
      `<3>NVRM: Xid (PCI:${bus}): 79, pid=77, name=keelson-drain-e2e, GPU has fallen off the bus.\n`,
    );
    const s = slurm;
    const drained = await waitFor(
      async () => {
        const st = (await s.states()).get('kd02');
        return st && /drain/.test(st.state) ? st : undefined;
      },
      10_000,
      'kd02 drained',
    );
    const latencyMs = Date.now() - t0;
    expect(drained.reason).toMatch(/^keelson: gpu\.xid\.79 gpu:/);
    expect(latencyMs).toBeLessThan(2000);
    // the other nodes are untouched
    const states = await s.states();
    for (const n of ['kd01', 'kd03', 'kd04']) expect(states.get(n)?.state).toBe('idle');
  }, 90_000);
});
