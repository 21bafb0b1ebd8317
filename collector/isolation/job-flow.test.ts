import { describe, expect, it } from 'vitest';
import { countJobFault, DEFAULT_JOB_FLOW, jobOfComponent } from './job-flow.ts';

describe('countJobFault', () => {
  it('restarts locally N times, then isolates and reschedules', () => {
    let prev: ReturnType<typeof countJobFault>['count'] | undefined;
    const kinds: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = countJobFault(prev, DEFAULT_JOB_FLOW, 'j1', 'gpu01', 1000 + i);
      prev = r.count;
      kinds.push(r.verdict.kind === 'restart-local' ? `restart${r.verdict.attempt}` : `isolate${r.verdict.failures}`);
    }
    expect(kinds).toEqual(['restart1', 'restart2', 'isolate3', 'isolate4']);
  });

  it('starts over after a quiet period', () => {
    const a = countJobFault(undefined, DEFAULT_JOB_FLOW, 'j', 'n', 0);
    const b = countJobFault(a.count, DEFAULT_JOB_FLOW, 'j', 'n', 1);
    const c = countJobFault(b.count, DEFAULT_JOB_FLOW, 'j', 'n', 1 + DEFAULT_JOB_FLOW.resetAfterMs + 1);
    expect(c.verdict).toEqual({ kind: 'restart-local', attempt: 1 });
  });

  it('reads the job from a job component', () => {
    expect(jobOfComponent('job:llama-7b')).toBe('llama-7b');
    expect(jobOfComponent('gpu:3')).toBeUndefined();
    expect(jobOfComponent('job:')).toBeUndefined();
    expect(jobOfComponent('job:llama-7b/rank:12')).toBe('llama-7b');
  });
});
