/**
 * A probe that hangs, one whose command is missing, one that prints garbage, and one that
 * fails outright: the agent keeps running, keeps its healthy probes on schedule, and reports
 * each failure with its reason, locally and at the collector.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  getJson,
  type KeelsonProcess,
  REPO_ROOT,
  startAgent,
  startCollector,
  TEST_TOKEN,
  waitFor,
} from '../helpers/processes.ts';

interface Finding {
  code: string;
  component: string;
  message: string;
}
interface ProbeStatus {
  name: string;
  status: string;
  reason?: string;
  lastRun?: number;
}

const procs: KeelsonProcess[] = [];
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
});

describe('agent with broken probes', () => {
  it('reports a hung, a missing, a garbage and a failing check, and keeps running the rest', async () => {
    const collector = await startCollector();
    procs.push(collector.proc);
    const { proc: agent } = startAgent({
      nodeId: 'faulty',
      collector: { url: collector.wsUrl, token: TEST_TOKEN },
      api: { tcpPort: 0 },
      // the real kernel log may hold other tests' Xid lines; this test is about the checks
      probes: { host: { intervalSec: 1 }, 'kernel-log': { enabled: false } },
      checks: [
        { name: 'hangs', command: 'sleep', args: ['60'], timeoutMs: 500, intervalSec: 2 },
        { name: 'missing', command: '/opt/keelson-test/no-such-tool', intervalSec: 2 },
        {
          name: 'garbage',
          command: 'sh',
          args: [join(REPO_ROOT, 'test/fixtures/checks/garbage.sh')],
          format: 'json',
          intervalSec: 2,
        },
        { name: 'unknown', command: 'sh', args: ['-c', 'exit 3'], intervalSec: 2 },
      ],
    });
    procs.push(agent);

    const findings = await waitFor(
      async () => {
        const d = await getJson<{ findings: Finding[] }>(`${collector.url}/api/nodes/faulty`);
        return d.findings.filter((f) => f.code === 'probe.failed').length === 4 ? d.findings : undefined;
      },
      20_000,
      'four probe.failed findings at the collector',
    );
    const byProbe = Object.fromEntries(findings.map((f) => [f.component, f.message]));
    expect(byProbe['probe:check:hangs']).toMatch(/timed out: (CMD_TIMEOUT: )?.*(500 ms|did not finish)/);
    expect(byProbe['probe:check:missing']).toMatch(/CMD_MISSING: .*no-such-tool is not installed/);
    expect(byProbe['probe:check:garbage']).toMatch(/not JSON/);
    expect(byProbe['probe:check:unknown']).toMatch(/exited 3/);

    const detail = await getJson<{ probes: ProbeStatus[] }>(`${collector.url}/api/nodes/faulty`);
    const status = Object.fromEntries(detail.probes.map((p) => [p.name, p.status]));
    expect(status).toMatchObject({
      host: 'ok',
      'check:hangs': 'timeout',
      'check:missing': 'failed',
      'check:garbage': 'failed',
    });

    // the healthy probe keeps its schedule while the others fail
    const firstRun = detail.probes.find((p) => p.name === 'host')?.lastRun ?? 0;
    await waitFor(
      async () => {
        const d = await getJson<{ probes: ProbeStatus[] }>(`${collector.url}/api/nodes/faulty`);
        return (d.probes.find((p) => p.name === 'host')?.lastRun ?? 0) > firstRun + 1500;
      },
      15_000,
      'host probe to keep running',
    );
    expect(agent.alive).toBe(true);

    // the agent's own metrics count the failures
    const port = Number(/"tcpPort":(\d+)/.exec(agent.output)?.[1]);
    expect(port).toBeGreaterThan(0);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toMatch(/keelson_probe_runs_total\{probe="check:hangs",result="timeout"\} [1-9]/);
    expect(text).toMatch(/keelson_probe_up\{probe="host"\} 1/);
    const health = await getJson<{ health: string; collectorConnected: boolean }>(`http://127.0.0.1:${port}/health`);
    expect(health).toMatchObject({ health: 'warn', collectorConnected: true });
    expect(await agent.stop()).toBe(0);
    await collector.proc.stop();
  }, 60_000);
});
