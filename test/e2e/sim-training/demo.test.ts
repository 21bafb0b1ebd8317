/**
 * `keelson demo`'s body in real time: the fleet starts, a scenario's job-start step runs a job
 * that steps on its own (job.run), its checkpoints get committed, and stop() ends it all.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../../core/errors.ts';
import { silentLogger } from '../../../core/logger.ts';
import { describeRestart, runDemo } from '../../../sim/demo.ts';
import { applyStep } from '../../../sim/scenarios.ts';
import { getJson, tempDir, waitFor } from '../../helpers/processes.ts';

describe('runDemo', () => {
  it('refuses an unknown scenario', async () => {
    const err = await runDemo({
      nodes: 2,
      scenario: 'nope',
      port: 0,
      home: tempDir('keelson-demo-'),
      log: silentLogger(),
      out: () => {},
    }).catch((e: unknown) => e);
    expect(isKeelsonError(err, 'CONFIG_INVALID')).toBe(true);
  });

  it('starts the fleet and the dashboard; a job started by a scenario step runs in real time', async () => {
    let out = '';
    const demo = await runDemo({
      nodes: 3,
      scenario: 'quiet',
      port: 0,
      home: tempDir('keelson-demo-'),
      log: silentLogger(),
      out: (t) => {
        out += t;
      },
    });
    try {
      expect(out).toMatch(/3 simulated nodes, scenario "quiet"/);
      expect(out).toContain(`dashboard: ${demo.url}/`);
      const what = await applyStep(
        {
          atSec: 0,
          node: 1,
          fault: 'job-start',
          job: 'demo-job',
          nodes: 2,
          ranksPerNode: 2,
          stepMs: 150,
          checkpointEvery: 5,
        },
        demo.fleet.nodes,
        Date.now(),
        demo.fleet.training,
      );
      expect(what).toBe('demo-job: started on node02,node03 (4 ranks)');
      const latest = join(demo.fleet.pfsDir, 'demo-job', 'LATEST');
      await waitFor(() => existsSync(latest), 15_000, 'a committed checkpoint');
      expect(JSON.parse(readFileSync(latest, 'utf8')).step % 5).toBe(0);
      const view = await waitFor(
        async () => {
          const v = await getJson<{ job: { step: number; nodes: string[] } }>(`${demo.url}/api/jobs/demo-job`);
          return v.job.step >= 10 ? v : undefined;
        },
        15_000,
        'the job stepping at the collector',
      );
      expect(view.job.nodes).toEqual(['node02', 'node03']);
      expect(demo.fleet.training.spares()).toEqual(['node01']);
    } finally {
      await demo.stop();
    }
  }, 40_000);

  it('describes a restart in one line', () => {
    expect(
      describeRestart({
        job: 'llm',
        at: 0,
        cause: 'isolated',
        abandonedStep: 37,
        restoredFrom: 30,
        replaced: { failed: 'node03', spare: 'node07' },
        blockedBy: [],
      }),
    ).toBe('llm restarted from committed step 30, abandoning step 37 (isolated: node03 replaced by node07)');
  });
});
