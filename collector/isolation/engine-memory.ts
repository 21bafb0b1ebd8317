/**
 * The isolation engine's memory: isolation records per node, the ladder's history, the breaker,
 * pending approvals and job fault counts. Loaded from and saved to the state store as one
 * document so a collector restart keeps the ladder and the breaker.
 */
import type { PendingApproval } from './approvals.ts';
import { type BreakerState, initialBreaker } from './breaker.ts';
import type { JobFaultCount } from './job-flow.ts';
import type { LadderEntry } from './ladder.ts';
import type { IsolationRecord } from './safety.ts';
import type { IsolationStateStore } from './state-store.ts';

export interface EngineMemory {
  records: Record<string, IsolationRecord>;
  ladder: LadderEntry[];
  breaker: BreakerState;
  pending: PendingApproval[];
  jobFaults: Record<string, JobFaultCount>;
}

const KEY = 'engine';

export function emptyMemory(): EngineMemory {
  return { records: {}, ladder: [], breaker: initialBreaker(), pending: [], jobFaults: {} };
}

export function loadMemory(store: IsolationStateStore | undefined): EngineMemory {
  const m = store?.load<Partial<EngineMemory>>(KEY);
  return { ...emptyMemory(), ...(m ?? {}) };
}

export function saveMemory(store: IsolationStateStore | undefined, m: EngineMemory, now: number): void {
  store?.save(KEY, m, now);
}
