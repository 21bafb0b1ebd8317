/**
 * Training faults through the whole stack: real Python trainers → the real client → real agent
 * processes → a real collector. A trainer that stops is `train.hang` at the collector within
 * three step intervals; of four nodes, the one 15% slower is `train.straggler`, and no other.
 */
import { type ChildProcess, spawn } from 'node:child_process';
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
} from '../../helpers/processes.ts';

const procs: KeelsonProcess[] = [];
const trainers: ChildProcess[] = [];
afterAll(async () => {
  for (const t of trainers) t.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
});

interface Finding {
  code: string;
  component: string;
  node: string;
  firstSeen: number;
}

function trainer(socket: string, node: string, args: string[]): ChildProcess {
  const p = spawn('python3', [join(REPO_ROOT, 'test/e2e/training/synthetic_trainer.py'), ...args], {
    env: {
      ...process.env,
      PYTHONPATH: join(REPO_ROOT, 'clients/python'),
      KEELSON_SOCKET: socket,
      RANK: '0',
      KEELSON_JOB: 'llm',
      KEELSON_NODE: node,
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  trainers.push(p);
  return p;
}

/** An agent with only the training monitor, tuned for sub-second steps. */
function trainingAgent(collector: CollectorHandle, nodeId: string) {
  const stateDir = tempDir(`keelson-train-${nodeId}-`);
  const { proc } = startAgent({
    nodeId,
    stateDir,
    collector: { url: collector.wsUrl, token: TEST_TOKEN },
    probes: Object.fromEntries(
      ['host', 'host-hw', 'gpu', 'rdma', 'nvme', 'driver', 'kernel-log'].map((p) => [p, { enabled: false }]),
    ),
    training: { tickMs: 50, summaryIntervalMs: 250, detectors: { hang: { floorMs: 100, minIntervals: 4 } } },
  });
  procs.push(proc);
  return { proc, socket: join(stateDir, 'train.sock') };
}

describe('training faults at the collector', () => {
  it('a trainer that stops is train.hang at the collector within 3 step intervals', async () => {
    const collector = await startCollector();
    procs.push(collector.proc);
    const a = trainingAgent(collector, 'hang-node');
    await waitFor(() => a.proc.output.includes('session with collector established'), 15_000, 'agent session');
    // Half-second steps: scheduling jitter on a loaded 2-core machine stays small next to them.
    const interval = 0.5;
    const t = trainer(a.socket, 'hang-node', ['--steps', '16', '--interval', String(interval), '--hang-seconds', '30']);
    let lastStepAt = 0;
    t.stdout?.on('data', (b: Buffer) => {
      const m = /reported at ([\d.]+)/.exec(b.toString());
      if (m) lastStepAt = Number(m[1]) * 1000;
    });
    const hang = await waitFor(
      async () => {
        const r = await getJson<{ findings: Finding[] }>(
          `${collector.url}/api/findings?node=hang-node&code=train.hang&active=true`,
        );
        return r.findings[0];
      },
      20_000,
      'train.hang at the collector',
    );
    const seenAt = Date.now();
    expect(lastStepAt).toBeGreaterThan(0);
    expect(hang.component).toBe('job:llm');
    expect((seenAt - lastStepAt) / (interval * 1000)).toBeLessThanOrEqual(3);
  }, 60_000);

  it('of 4 nodes, the one 15% slower is train.straggler, and no other', async () => {
    const collector = await startCollector({
      config: { training: { straggler: { sustainMs: 3000, minSamples: 5, staleMs: 2000 } } },
    });
    procs.push(collector.proc);
    const intervals: Record<string, number> = { tr01: 0.1, tr02: 0.1, tr03: 0.115, tr04: 0.1 };
    const agents = Object.keys(intervals).map((n) => ({ node: n, ...trainingAgent(collector, n) }));
    for (const a of agents) {
      await waitFor(() => a.proc.output.includes('session with collector established'), 15_000, `${a.node} session`);
    }
    for (const a of agents) trainer(a.socket, a.node, ['--steps', '150', '--interval', String(intervals[a.node])]);
    const stragglers = await waitFor(
      async () => {
        const r = await getJson<{ findings: Finding[] }>(
          `${collector.url}/api/findings?code=train.straggler&active=true`,
        );
        return r.findings.length ? r.findings : undefined;
      },
      25_000,
      'train.straggler at the collector',
    );
    expect(stragglers.map((f) => f.node)).toEqual(['tr03']);
    // and it stays the only one while the job runs on
    await new Promise((r) => setTimeout(r, 2000));
    const again = await getJson<{ findings: Finding[] }>(
      `${collector.url}/api/findings?code=train.straggler&active=true`,
    );
    expect(again.findings.map((f) => f.node)).toEqual(['tr03']);
  }, 60_000);
});
