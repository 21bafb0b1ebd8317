import { describe, expect, it } from 'vitest';
import type { CkptState } from '../../protocol/checkpoint.ts';
import { jobCheckpointStatus } from './job-status.ts';

const state = (
  newest: Record<string, number>,
  extra: Partial<CkptState['jobs'][number]> = {},
  paused?: string,
): CkptState => ({
  tiers: [
    { tier: 'nvme', paused: false },
    { tier: 'pfs', paused: paused !== undefined, ...(paused ? { reason: paused } : {}) },
  ],
  jobs: [{ job: 'llm', newest, flushing: [], peerCopies: [], ...extra }],
  memoryBytes: 0,
});

describe('jobCheckpointStatus', () => {
  it('combines the nodes: newest anywhere, newest everywhere, committed, flush progress, paused tiers', () => {
    const states = new Map([
      [
        'n1',
        {
          state: state(
            { nvme: 30, pfs: 20 },
            { committed: 20, flushing: [{ tier: 'pfs', step: 30, bytesDone: 4, bytesTotal: 8 }] },
          ),
        },
      ],
      ['n2', { state: state({ nvme: 20, pfs: 20 }, { committed: 20 }, 'disk full') }],
    ]);
    const s = jobCheckpointStatus('llm', states, ['n1', 'n2']);
    expect(s).toEqual({
      committedStep: 20,
      tiers: [
        { tier: 'nvme', newestStep: 30, newestCompleteStep: 20 },
        {
          tier: 'pfs',
          newestStep: 20,
          newestCompleteStep: 20,
          flush: { step: 30, doneBytes: 4, totalBytes: 8, nodesDone: 1, nodesTotal: 2 },
          paused: 'disk full',
        },
      ],
    });
  });

  it('is null for a job no node checkpoints', () => {
    expect(jobCheckpointStatus('other', new Map([['n1', { state: state({ nvme: 1 }) }]]), ['n1'])).toBeNull();
  });
});
