/**
 * End to end: four simulated nodes, each an agent-side TrainingMonitor with its own ingest
 * socket fed by a real Python trainer through the real client; their per-job summaries go to
 * the collector's JobAnalyzer. One node steps 15% slower → `train.straggler` for it and no other.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TrainingMonitor } from '../../../agent/training/monitor.ts';
import { trainingSummarySchema } from '../../../agent/training/summary.ts';
import { JobAnalyzer } from '../../../collector/training/job-analyzer.ts';
import { systemClock } from '../../../core/clock.ts';
import { silentLogger } from '../../../core/logger.ts';
import { REPO_ROOT, tempDir, waitFor } from '../../helpers/processes.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const NODES: Record<string, number> = { gpu01: 0.1, gpu02: 0.1, gpu03: 0.115, gpu04: 0.1 };

describe('straggler across 4 nodes, end to end', () => {
  it('the 15% slower node, and only it, gets train.straggler', async () => {
    const dir = tempDir('keelson-e2e-strag-');
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const monitors = new Map<string, TrainingMonitor>();
    const procs: ChildProcess[] = [];
    for (const [node, interval] of Object.entries(NODES)) {
      const socketPath = join(dir, `${node}.sock`);
      const m = new TrainingMonitor({ nodeId: node, socketPath, clock: systemClock, log: silentLogger(), tickMs: 100 });
      await m.start();
      cleanups.push(() => m.stop());
      monitors.set(node, m);
      const p = spawn(
        'python3',
        [join(REPO_ROOT, 'test/e2e/training/synthetic_trainer.py'), '--steps', '80', '--interval', String(interval)],
        {
          env: {
            ...process.env,
            PYTHONPATH: join(REPO_ROOT, 'clients/python'),
            KEELSON_SOCKET: socketPath,
            RANK: '0',
            KEELSON_JOB: 'llm',
            KEELSON_NODE: node,
          },
          stdio: 'ignore',
        },
      );
      procs.push(p);
      cleanups.push(() => void p.kill('SIGKILL'));
    }
    const collector = new JobAnalyzer({ straggler: { sustainMs: 3000, minSamples: 5, staleMs: 2000 } });
    const evaluations: string[][] = [];
    const stream = setInterval(() => {
      const now = Date.now();
      for (const [node, m] of monitors) {
        for (const s of m.samplesForCollector()) collector.ingest(node, trainingSummarySchema.parse(s), now);
      }
      const out = collector.evaluate(now);
      evaluations.push([...out.entries()].flatMap(([n, obs]) => obs.map((o) => `${n} ${o.code}`)));
    }, 250);
    cleanups.push(() => clearInterval(stream));

    // The window needs 3 s of summaries with ≥ 20 step times each: about 6 s in.
    await waitFor(() => evaluations.some((e) => e.length > 0), 15_000, 'a straggler verdict');
    await new Promise((r) => setTimeout(r, 1000));
    const flagged = new Set(evaluations.flat());
    expect([...flagged]).toEqual(['gpu03 train.straggler']);
    const last = collector.evaluate(Date.now()).get('gpu03')?.[0];
    expect(last?.message).toMatch(/node gpu03 steps 1\d% slower/);
  });
});
