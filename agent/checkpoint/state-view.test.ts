import { describe, expect, it } from 'vitest';
import { checkpointStateView, ckptStateSchema } from './state-view.ts';

describe('checkpointStateView', () => {
  it('reports newest per tier, committed, flights and peer copies per job', () => {
    const v = checkpointStateView({
      tiers: [
        { tier: 'memory', paused: false },
        { tier: 'nvme', paused: false, flight: { job: 'a', step: 9, bytesDone: 5, bytesTotal: 10 } },
        { tier: 'pfs', paused: true, reason: 'ENOSPC' },
      ],
      steps: new Map([
        [
          'a',
          new Map([
            ['memory', [8, 9]],
            ['nvme', [8]],
            ['pfs', []],
          ]),
        ],
      ]),
      committed: new Map([['a', 8]]),
      peerCopies: [{ node: 'n2', job: 'a', rank: 3, step: 9 }],
      replicated: new Map([['a', 9]]),
      memoryBytes: 100,
    });
    expect(ckptStateSchema.parse(v)).toEqual(v);
    expect(v.jobs[0]).toEqual({
      job: 'a',
      newest: { memory: 9, nvme: 8 },
      committed: 8,
      flushing: [{ tier: 'nvme', step: 9, bytesDone: 5, bytesTotal: 10 }],
      peerCopies: [{ node: 'n2', rank: 3, step: 9 }],
      replicated: 9,
    });
    expect(v.tiers[2]).toEqual({ tier: 'pfs', paused: true, reason: 'ENOSPC' });
  });
});
