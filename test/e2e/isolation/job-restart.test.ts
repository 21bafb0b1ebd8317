/**
 * The fault-tolerant job flow through the job's own agent: a trainer hangs → `train.hang` →
 * the collector's policy asks for a local restart → `job.restart` goes to that node's agent,
 * which runs its configured hook → the audit records the restart as done.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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
let trainer: ChildProcess | undefined;
afterAll(async () => {
  trainer?.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
});

describe('job flow: restart on the job’s agent', () => {
  it('a hang makes the collector restart the job through the node’s agent', async () => {
    const collector = await startCollector({
      config: { operatorTokens: [TEST_TOKEN], isolation: { mode: 'enforce', recordOnly: true } },
    });
    procs.push(collector.proc);
    const stateDir = tempDir('keelson-restart-');
    const marker = join(stateDir, 'restarted');
    const { proc: agent } = startAgent({
      nodeId: 'rs01',
      stateDir,
      collector: { url: collector.wsUrl, token: TEST_TOKEN },
      probes: Object.fromEntries(
        ['host', 'host-hw', 'gpu', 'rdma', 'nvme', 'driver', 'kernel-log'].map((p) => [p, { enabled: false }]),
      ),
      training: {
        tickMs: 50,
        detectors: { hang: { floorMs: 100 } },
        // An argument array: the placeholders arrive as positional parameters, never as shell text.
        restart: { command: ['sh', '-c', 'echo "$0 $1 $2" >> "$3"', '{job}', '{attempt}', '{node}', marker] },
      },
    });
    procs.push(agent);
    await waitFor(() => agent.output.includes('session with collector established'), 15_000, 'agent session');
    trainer = spawn(
      'python3',
      [
        join(REPO_ROOT, 'test/e2e/training/synthetic_trainer.py'),
        '--steps',
        '12',
        '--interval',
        '0.3',
        '--hang-seconds',
        '60',
      ],
      {
        env: {
          ...process.env,
          PYTHONPATH: join(REPO_ROOT, 'clients/python'),
          KEELSON_SOCKET: join(stateDir, 'train.sock'),
          KEELSON_JOB: 'llm',
          RANK: '0',
        },
        stdio: 'ignore',
      },
    );
    await waitFor(() => existsSync(marker), 30_000, 'the restart hook to run');
    expect(readFileSync(marker, 'utf8').trim().split('\n')[0]).toBe('llm 1 rs01');
    const audit = await waitFor(
      async () => {
        const r = await fetch(`${collector.url}/api/audit?kind=job`, {
          headers: { authorization: `Bearer ${TEST_TOKEN}` },
        });
        const d = (await r.json()) as { entries: { what: string; node: string; result: string }[] };
        return d.entries.find((e) => e.what === 'restart-job' && e.result === 'done');
      },
      10_000,
      'the restart in the audit',
    );
    expect(audit.node).toBe('rs01');
    const hang = await getJson<{ findings: { code: string }[] }>(
      `${collector.url}/api/findings?node=rs01&code=train.hang`,
    );
    expect(hang.findings.length).toBeGreaterThan(0);
  }, 60_000);
});
