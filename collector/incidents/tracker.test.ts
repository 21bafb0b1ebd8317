import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../core/finding.ts';
import type { TrainingSummary } from '../../protocol/training.ts';
import type { AuditEntry } from '../isolation/audit-store.ts';
import { stabilityStats } from './stats.ts';
import { IncidentStore } from './store.ts';
import { IncidentTracker } from './tracker.ts';

function finding(code: string, component: string, severity: Finding['severity'], at: number): Finding {
  return {
    code,
    component,
    severity,
    action: 'none',
    kind: 'condition',
    message: code,
    evidence: code,
    firstSeen: at,
    lastSeen: at,
    count: 1,
  };
}

function summary(
  job: string,
  node: string,
  lastStep: number,
  lastProgressAt: number,
  more: Partial<TrainingSummary> = {},
): TrainingSummary {
  return { job, node, ranks: 8, world: 32, lastStep, lastProgressAt, phase: 'train', stepTimeMs: 1000, ...more };
}

let auditId = 0;
function audit(e: Omit<AuditEntry, 'id' | 'who' | 'result'> & { result?: string }): AuditEntry {
  auditId += 1;
  return { id: auditId, who: 'policy', result: 'done', ...e };
}

function setup(db = new Database(':memory:')) {
  const store = new IncidentStore(db);
  const tracker = new IncidentTracker({
    save: (i) => store.save(i),
    saveJob: (s) => store.saveJob(s),
    lastNumber: store.lastNumber(),
    active: store.listActive(),
    jobs: store.listJobs(),
  });
  return { db, store, tracker };
}

const NODES = ['node01', 'node02', 'node03', 'node04'];

/** A 4-node job stepping once a second from step 1 at t=1000 to `last` at t=last*1000. */
function train(tracker: IncidentTracker, job: string, from: number, last: number, nodes = NODES, stepTimeMs = 1000) {
  for (let step = from; step <= last; step++) {
    for (const n of nodes) tracker.training(n, summary(job, n, step, step * 1000, { stepTimeMs }), step * 1000);
  }
}

describe('IncidentTracker', () => {
  it('an Xid 79 mid-training: isolation, restart from checkpoint, exact timeline and lost time', () => {
    const { tracker, store } = setup();
    train(tracker, 'llm', 1, 100);
    tracker.finding('node03', 'opened', finding('gpu.xid.79', 'gpu:2', 'fatal', 100_400), 100_450);
    tracker.audit(audit({ ts: 100_500, kind: 'action', node: 'node03', what: 'isolate', why: 'gpu.xid.79 gpu:2' }));
    tracker.finding('node01', 'opened', finding('train.hang', 'job:llm', 'degraded', 103_000), 103_000);
    // The scheduler restarts the job on three nodes and a spare from the checkpoint of step 90.
    for (const n of ['node01', 'node02', 'node04', 'node05']) {
      tracker.training(n, summary('llm', n, 90, 110_000, { restoredFrom: 90, restoredAt: 110_000 }), 110_000);
    }
    expect(store.get('inc-1')?.status).toBe('mitigated');
    tracker.training(
      'node01',
      summary('llm', 'node01', 91, 111_000, { restoredFrom: 90, restoredAt: 110_000 }),
      111_000,
    );
    const i = store.get('inc-1')!;
    expect(i.status).toBe('recovered');
    expect(i.timeline).toEqual({
      firstEvidence: 100_000,
      detected: 100_450,
      identified: 100_450,
      mitigated: 100_500,
      recovered: 111_000,
    });
    expect(i.culprit).toEqual({ node: 'node03', component: 'gpu:2', code: 'gpu.xid.79' });
    expect(i.category).toBe('gpu');
    expect(i.job).toBe('llm');
    expect(i.stepReached).toBe(100);
    expect(i.restoredStep).toBe(90);
    expect(i.restoredSource).toBe('reported');
    expect(i.lost).toEqual({
      detection: 450,
      identification: 0,
      recovery: 10_550,
      recompute: 10_000,
      slowdown: 0,
      total: 21_000,
      gpuHours: (21_000 * 32) / 3_600_000,
    });
    expect(i.nodes.sort()).toEqual(['node01', 'node03']);
    expect(i.events.map((e) => e.kind)).toEqual([
      'finding',
      'identified',
      'isolated',
      'evidence',
      'finding',
      'restored',
      'progress',
    ]);
    expect(tracker.active()).toEqual([]);
  });

  it('a hang resolved by a local restart: identified by the hang suspect, category unknown', () => {
    const { tracker, store } = setup();
    train(tracker, 'j', 1, 50, ['node01', 'node02']);
    tracker.finding('node01', 'opened', finding('train.hang', 'job:j', 'degraded', 53_000), 53_000);
    tracker.finding('node02', 'opened', finding('train.hang', 'job:j', 'degraded', 53_000), 53_000);
    tracker.finding('node02', 'opened', finding('train.hang.suspect', 'job:j', 'degraded', 54_000), 54_000);
    tracker.audit(
      audit({
        ts: 54_100,
        kind: 'job',
        node: 'node02',
        what: 'restart-job',
        why: 'hang',
        detail: { job: 'j', attempt: 1 },
      }),
    );
    for (const n of ['node01', 'node02'])
      tracker.training(n, summary('j', n, 41, 61_000, { restoredFrom: 40, restoredAt: 60_000 }), 61_000);
    const i = store.get('inc-1')!;
    expect(i.timeline).toEqual({
      firstEvidence: 50_000,
      detected: 53_000,
      identified: 54_000,
      mitigated: 54_100,
      recovered: 61_000,
    });
    expect(i.culprit).toEqual({ node: 'node02', code: 'train.hang.suspect' });
    expect(i.category).toBe('unknown');
    expect(i.lost?.total).toBe(11_000 + 10 * 1000);
    expect(i.lost?.recompute).toBe(10_000);
    expect(store.list()).toHaveLength(1);
  });

  it('a straggler: the job keeps stepping, its cost is the extra step time, recovered when the finding clears', () => {
    const { tracker, store } = setup();
    train(tracker, 'j', 1, 60);
    tracker.training('node04', summary('j', 'node04', 60, 60_000, { stepTimeMs: 1300 }), 60_000);
    tracker.finding('node04', 'opened', finding('train.straggler', 'job:j', 'degraded', 60_000), 60_000);
    for (let step = 61; step <= 70; step++) {
      for (const n of NODES) {
        tracker.training(
          n,
          summary('j', n, step, step * 1000, { stepTimeMs: n === 'node04' ? 1300 : 1000 }),
          step * 1000,
        );
      }
    }
    tracker.finding('node04', 'cleared', finding('train.straggler', 'job:j', 'degraded', 60_000), 70_500);
    const i = store.get('inc-1')!;
    expect(i.stalled).toBe(false);
    expect(i.timeline).toEqual({ firstEvidence: 60_000, detected: 60_000, identified: 60_000, recovered: 70_500 });
    expect(i.culprit?.node).toBe('node04');
    expect(i.lost?.slowdown).toBe(10 * 300);
    expect(i.lost?.total).toBe(3000);
  });

  it('a node outside any job: the NVMe wears out, isolation takes it out of service', () => {
    const { tracker, store } = setup();
    tracker.finding('node10', 'opened', finding('nvme.wear', 'nvme0', 'warn', 1000), 1000);
    expect(store.list()).toHaveLength(0);
    tracker.finding('node10', 'opened', finding('nvme.spare', 'nvme0', 'degraded', 2000), 2500);
    tracker.audit(audit({ ts: 3000, kind: 'action', node: 'node10', what: 'isolate', why: 'nvme' }));
    const i = store.get('inc-1')!;
    expect(i.job).toBeUndefined();
    expect(i.category).toBe('storage');
    expect(i.timeline).toEqual({
      firstEvidence: 2000,
      detected: 2500,
      identified: 2500,
      mitigated: 3000,
      recovered: 3000,
    });
  });

  it('findings already held do not open a second incident, and a finding that clears recovers a node incident', () => {
    const { tracker, store } = setup();
    const f = finding('ib.port.down', 'ib:mlx5_3/1', 'degraded', 1000);
    tracker.finding('node07', 'opened', f, 1000);
    tracker.finding('node07', 'updated', { ...f, count: 2 }, 1500);
    tracker.finding('node07', 'opened', finding('ib.port.flap', 'ib:mlx5_3/1', 'degraded', 1200), 1200);
    expect(store.list()).toHaveLength(1);
    tracker.finding('node07', 'cleared', f, 4000);
    expect(store.get('inc-1')?.status).toBe('open');
    tracker.finding('node07', 'cleared', finding('ib.port.flap', 'ib:mlx5_3/1', 'degraded', 1200), 5000);
    expect(store.get('inc-1')?.status).toBe('recovered');
    expect(store.get('inc-1')?.category).toBe('network');
    // The port flaps again later: a new incident.
    tracker.finding('node07', 'opened', { ...f, firstSeen: 9000 }, 9000);
    expect(store.get('inc-2')?.status).toBe('open');
  });

  it('keeps the worst cause as the root while more findings join', () => {
    const { tracker, store } = setup();
    tracker.finding('n', 'opened', finding('ib.port.down', 'ib:mlx5_0/1', 'degraded', 1000), 1000);
    tracker.finding('n', 'opened', finding('gpu.xid.79', 'gpu:1', 'fatal', 2000), 2000);
    expect(store.get('inc-1')?.rootCode).toBe('gpu.xid.79');
    tracker.finding('n', 'opened', finding('nvme.spare', 'nvme0', 'degraded', 3000), 3000);
    expect(store.get('inc-1')).toMatchObject({ rootCode: 'gpu.xid.79', category: 'gpu' });
  });

  it('ignores probe failures and warnings outside training', () => {
    const { tracker, store } = setup();
    tracker.finding('n', 'opened', finding('probe.failed', 'probe:gpu', 'degraded', 1), 1);
    tracker.finding('n', 'opened', finding('gpu.temperature.high', 'gpu:0', 'warn', 1), 1);
    expect(store.list()).toEqual([]);
  });

  it('infers the restart step from the committed checkpoint when the ranks do not report it', () => {
    const { tracker, store } = setup();
    train(tracker, 'j', 1, 30, ['a', 'b']);
    tracker.checkpoint({
      tiers: [],
      jobs: [{ job: 'j', newest: {}, committed: 25, flushing: [], peerCopies: [] }],
      memoryBytes: 0,
    });
    tracker.finding('a', 'opened', finding('train.hang', 'job:j', 'degraded', 33_000), 33_000);
    tracker.training('a', summary('j', 'a', 27, 40_000), 40_000);
    const i = store.get('inc-1')!;
    expect(i.restoredStep).toBe(25);
    expect(i.restoredSource).toBe('committed');
    expect(i.timeline.mitigated).toBe(40_000);
    expect(i.timeline.recovered).toBe(40_000);
    expect(i.lost?.recompute).toBe(5000);
  });

  it('survives a restart: open incidents and job spans are reloaded from SQLite and finish there', () => {
    const db = new Database(':memory:');
    const first = setup(db);
    train(first.tracker, 'j', 1, 10, ['a', 'b']);
    first.tracker.finding('a', 'opened', finding('train.hang', 'job:j', 'degraded', 13_000), 13_000);
    first.tracker.flushJobs();
    const second = setup(db);
    expect(second.tracker.active().map((i) => i.id)).toEqual(['inc-1']);
    train(second.tracker, 'j', 14, 14, ['a', 'b']);
    expect(second.store.get('inc-1')?.timeline.recovered).toBe(14_000);
    second.tracker.finding('a', 'opened', finding('train.hang', 'job:j', 'degraded', 20_000), 20_000);
    expect(second.store.get('inc-2')).toBeDefined();
    second.tracker.flushJobs();
    expect(second.store.listJobs()).toEqual([{ job: 'j', firstSeen: 1000, lastSeen: 14_000, gpus: 32 }]);
  });

  it('forgets a job silent for a day in memory, keeping its stored span', () => {
    const { tracker, store } = setup();
    train(tracker, 'old', 1, 3, ['a']);
    train(tracker, 'new', 1, 1, ['b']);
    tracker.training('b', summary('new', 'b', 2, 2 * 86_400_000), 2 * 86_400_000);
    expect(tracker.jobSpans().map((j) => j.job)).toEqual(['new']);
    expect(store.listJobs().map((j) => j.job)).toEqual(['new', 'old']);
  });
});

describe('stabilityStats', () => {
  it('computes MTBF, MTTD, MTTI, MTTR, the failure mix and goodput exactly', () => {
    const { tracker, store } = setup();
    train(tracker, 'j', 1, 50, ['node01', 'node02']);
    tracker.finding('node01', 'opened', finding('gpu.xid.79', 'gpu:0', 'fatal', 50_500), 51_000);
    for (const n of ['node01', 'node02'])
      tracker.training(n, summary('j', n, 41, 61_000, { restoredFrom: 40, restoredAt: 60_000 }), 61_000);
    train(tracker, 'j', 42, 100, ['node01', 'node02']);
    tracker.finding('node02', 'opened', finding('ib.port.down', 'ib:mlx5_0/1', 'degraded', 99_000), 99_000);
    tracker.flushJobs();
    const s = stabilityStats(store.list(), store.listJobs(), 0, 100_000);
    expect(s.incidents).toBe(2);
    expect(s.open).toBe(1);
    expect(s.byCategory.gpu).toBe(1);
    expect(s.byCategory.network).toBe(1);
    expect(s.mtbf.fleet).toBe(50_000);
    expect(s.mtbf.nodes).toEqual({ node01: 100_000, node02: 100_000 });
    expect(s.mtbf.jobs).toEqual({ j: 49_500 });
    // inc-1 was first evidenced by its last good step (50 s), detected at 51 s; inc-2 at once.
    expect(s.mttd).toBe((1000 + 0) / 2);
    expect(s.mtti).toBe(0);
    expect(s.mttr).toBe(61_000 - 50_000);
    // inc-1: 11 s without progress + 10 steps redone; inc-2 is open at 99 s and costs nothing yet (not stalled).
    expect(s.lost.total).toBe(21_000);
    expect(s.goodput).toEqual([
      { job: 'j', gpus: 32, wall: 99_000, productive: 78_000, goodput: 78_000 / 99_000, incidents: 2 },
    ]);
    // Watched for 80 s of the window only: MTBF divides the time the fleet could fail in.
    expect(stabilityStats(store.list(), store.listJobs(), 0, 100_000, 20_000).mtbf.fleet).toBe(40_000);
    expect(s.trend).toEqual([{ day: '1970-01-01', incidents: 2, byCategory: { gpu: 1, network: 1 }, mttr: 11_000 }]);
  });
});
