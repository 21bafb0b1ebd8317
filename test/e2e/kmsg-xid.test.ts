/**
 * The real kernel log end to end: a real-format Xid line written to /dev/kmsg reaches the
 * collector as gpu.xid.<n> within 1 s. Needs a writable /dev/kmsg (root); skipped otherwise.
 */
import { accessSync, constants, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { getJson, type KeelsonProcess, startAgent, startCollector, TEST_TOKEN, waitFor } from '../helpers/processes.ts';

function kmsgWritable(): boolean {
  try {
    accessSync('/dev/kmsg', constants.W_OK | constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

const procs: KeelsonProcess[] = [];
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
});

describe.skipIf(!kmsgWritable())('Xid in /dev/kmsg → collector', () => {
  it('reports gpu.xid.79 on the GPU named by its PCI bus id within 1 s', async () => {
    const collector = await startCollector();
    procs.push(collector.proc);
    const { proc: agent } = startAgent({
      nodeId: 'kmsg-node',
      collector: { url: collector.wsUrl, token: TEST_TOKEN },
      probes: { host: { enabled: false }, 'host-hw': { enabled: false } },
    });
    procs.push(agent);
    await waitFor(() => agent.output.includes('"source":"kmsg"'), 15_000, 'agent following /dev/kmsg');
    await waitFor(() => agent.output.includes('session with collector established'), 15_000, 'agent session');

    const bus = `0000:${(0xe0 + Math.floor(Math.random() * 16)).toString(16)}:00`;
    const t0 = Date.now();
    writeFileSync(
      '/dev/kmsg',
      `<3>NVRM: Xid (PCI:${bus}): 79, pid=4242, name=keelson-e2e, GPU has fallen off the bus.\n`,
    );
    const found = await waitFor(
      async () => {
        const r = await getJson<{
          findings: { code: string; component: string; severity: string; evidence: string }[];
        }>(`${collector.url}/api/findings?node=kmsg-node&code=gpu.xid.79&active=true`);
        return r.findings.find((f) => f.component === `gpu:${bus}.0`);
      },
      5_000,
      'gpu.xid.79 at the collector',
    );
    const latencyMs = Date.now() - t0;
    expect(found.severity).toBe('fatal');
    expect(found.evidence).toContain('keelson-e2e');
    expect(latencyMs).toBeLessThan(1000);
    await agent.stop();
    await collector.proc.stop();
  }, 40_000);
});
