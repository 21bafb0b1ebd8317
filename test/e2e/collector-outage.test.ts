/**
 * Nothing lost: the collector is killed for 30 s while an agent keeps producing findings;
 * after it restarts every finding arrives, each exactly once. Also: a frozen collector
 * (SIGSTOP) is detected as a dead peer and the agent reconnects when it thaws.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type CollectorHandle,
  getJson,
  type KeelsonProcess,
  REPO_ROOT,
  startAgent,
  startCollector,
  TEST_TOKEN,
  tempDir,
  waitFor,
} from '../helpers/processes.ts';

interface FindingEvent {
  change: string;
  component: string;
  seq: number;
}

const procs: KeelsonProcess[] = [];
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
});

async function tickEvents(c: CollectorHandle): Promise<FindingEvent[]> {
  return (await getJson<{ events: FindingEvent[] }>(`${c.url}/api/finding-events?code=test.tick`)).events;
}

describe('stream delivery across a collector outage', () => {
  it('delivers every finding exactly once after a 30 s outage', async () => {
    let collector = await startCollector();
    procs.push(collector.proc);
    const counter = join(tempDir(), 'ticks');
    const { proc: agent } = startAgent({
      nodeId: 'outage-node',
      collector: {
        url: collector.wsUrl,
        token: TEST_TOKEN,
        backoffInitialMs: 200,
        backoffMaxMs: 2000,
        deadPeerMs: 3000,
      },
      probes: { host: { enabled: false } },
      checks: [
        {
          name: 'tick',
          command: 'sh',
          args: [join(REPO_ROOT, 'test/fixtures/checks/tick.sh'), counter],
          format: 'json',
          intervalSec: 1,
        },
      ],
    });
    procs.push(agent);
    await waitFor(async () => (await tickEvents(collector)).length >= 3, 15_000, 'first ticks at the collector');

    expect(await collector.proc.stop('SIGKILL')).toBe(null);
    const ticksAtKill = Number(readFileSync(counter, 'utf8'));
    await new Promise((r) => setTimeout(r, 30_000));
    expect(agent.alive).toBe(true);
    const ticksDuringOutage = Number(readFileSync(counter, 'utf8')) - ticksAtKill;
    expect(ticksDuringOutage).toBeGreaterThanOrEqual(20);

    collector = await startCollector({ port: collector.port, dataDir: collector.dataDir });
    procs.push(collector.proc);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await agent.stop('SIGTERM')).toBe(0);
    const total = Number(readFileSync(counter, 'utf8'));

    const events = await waitFor(
      async () => {
        const ev = await tickEvents(collector);
        return ev.filter((e) => e.change === 'opened').length >= total ? ev : undefined;
      },
      15_000,
      `all ${total} ticks at the collector`,
    );
    const opened = events.filter((e) => e.change === 'opened').map((e) => e.component);
    const expected = Array.from({ length: total }, (_, i) => `tick:${i + 1}`);
    expect(opened.sort()).toEqual(expected.sort());
    // and none of them twice
    expect(new Set(opened).size).toBe(opened.length);
    await collector.proc.stop();
  }, 90_000);

  it('drops a frozen collector as a dead peer and reconnects when it thaws', async () => {
    const collector = await startCollector();
    procs.push(collector.proc);
    const { proc: agent } = startAgent({
      nodeId: 'freeze-node',
      collector: {
        url: collector.wsUrl,
        token: TEST_TOKEN,
        heartbeatMs: 200,
        deadPeerMs: 1000,
        backoffInitialMs: 100,
        backoffMaxMs: 500,
      },
      probes: { host: { intervalSec: 1 } },
    });
    procs.push(agent);
    await waitFor(() => agent.output.includes('session with collector established'), 15_000, 'first session');
    collector.proc.child.kill('SIGSTOP');
    await waitFor(() => agent.output.includes('collector is silent'), 5_000, 'dead-peer detection');
    collector.proc.child.kill('SIGCONT');
    await waitFor(
      () => agent.output.split('session with collector established').length - 1 >= 2,
      15_000,
      'second session after thaw',
    );
    expect(agent.alive).toBe(true);
    await agent.stop();
    await collector.proc.stop();
  }, 40_000);
});
