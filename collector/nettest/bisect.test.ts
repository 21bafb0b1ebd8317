import { describe, expect, it } from 'vitest';
import { applyRound, type BisectState, ceilLog2, nextTests, startBisection, verdict } from './bisect.ts';
import { type FaultModel, modelResult } from './fault-model.ts';

const names = (n: number) => Array.from({ length: n }, (_, i) => `node${i}`);

/** Drive the planner to the end against a fault model, checking every round's node sets are disjoint. */
function run(nodes: string[], faults: FaultModel): { state: BisectState; maxParallel: number } {
  let state = startBisection(nodes, { timeoutMs: 60_000 });
  let maxParallel = 0;
  for (let guard = 0; guard < 200; guard++) {
    const reqs = nextTests(state);
    if (reqs.length === 0) break;
    const seen = new Set<string>();
    for (const r of reqs) {
      for (const n of r.nodes) {
        expect(seen.has(n), `node ${n} twice in round ${state.round + 1}`).toBe(false);
        seen.add(n);
      }
      expect(r.timeoutMs).toBe(60_000);
    }
    maxParallel = Math.max(maxParallel, reqs.length);
    state = applyRound(
      state,
      reqs.map((request) => ({ request, result: modelResult(request.nodes, request.kind, faults) })),
    );
  }
  return { state, maxParallel };
}

describe('bisection planner', () => {
  it('names 1 bad node among 16 in exactly 1 + log2(16) = 5 rounds', () => {
    const { state } = run(names(16), { bad: ['node11'] });
    const v = verdict(state);
    expect(v.status).toBe('found');
    expect(v.culprits).toEqual(['node11']);
    expect(v.links).toEqual([]);
    expect(v.rounds).toBe(5);
  });

  it('names 1 bad node among 64 in exactly 7 rounds, whichever node it is', () => {
    for (const bad of ['node0', 'node31', 'node32', 'node63', 'node45']) {
      const v = verdict(run(names(64), { bad: [bad] }).state);
      expect(v.culprits).toEqual([bad]);
      expect(v.rounds).toBe(1 + ceilLog2(64));
    }
  });

  it('names 2 bad nodes among 64 in 7 rounds, 8 when they share the last pair', () => {
    // apart: both halves shrink in parallel, 1 + log2(64) = 7 rounds. In the same final pair each
    // node's only failure with a cleared peer could be a bad link to that pad, so each is confirmed
    // with a second pad: one more round.
    const cases: [string[], number][] = [
      [['node3', 'node40'], 7],
      [['node0', 'node63'], 7],
      [['node20', 'node22'], 7],
      [['node8', 'node9'], 8],
    ];
    for (const [bad, rounds] of cases) {
      const { state, maxParallel } = run(names(64), { bad });
      const v = verdict(state);
      expect([...v.culprits].sort()).toEqual([...bad].sort());
      expect(v.links).toEqual([]);
      expect(v.rounds).toBe(rounds);
      expect(maxParallel).toBeGreaterThanOrEqual(2);
    }
  });

  it('blames nobody when everything is healthy: one round, status healthy', () => {
    for (const n of [2, 3, 16, 64]) {
      const v = verdict(run(names(n), {}).state);
      expect(v).toMatchObject({ status: 'healthy', culprits: [], links: [], rounds: 1, tests: 1 });
    }
  });

  it('tests a one-node half padded with a cleared node once one exists, alone before that', () => {
    const { state } = run(names(4), { bad: ['node2'] });
    const modes = state.history.map((h) => [h.round, h.request.mode, h.request.nodes.join(',')]);
    // round 2 clears node0,node1; round 3 pads node2 and node3 with them
    expect(modes).toEqual([
      [1, 'group', 'node0,node1,node2,node3'],
      [2, 'group', 'node0,node1'],
      [2, 'group', 'node2,node3'],
      [3, 'padded', 'node2,node0'],
      [3, 'padded', 'node3,node1'],
    ]);
    expect(verdict(state).culprits).toEqual(['node2']);
  });

  it('finds a node that fails only across the network once a cleared node can pad it', () => {
    const v = verdict(run(names(8), { pairedOnly: ['node5'] }).state);
    expect(v.culprits).toEqual(['node5']);
    // with two nodes and no reference, the paired-only fault cannot be pinned: no false culprit
    const two = verdict(run(names(2), { pairedOnly: ['node1'] }).state);
    expect(two.culprits).toEqual([]);
    expect(two.status).toBe('inconclusive');
    expect([...two.unresolved].sort()).toEqual(['node0', 'node1']);
  });

  it('names a bad link when each half passes but the group fails', () => {
    const { state } = run(names(8), { links: [['node1', 'node5']] });
    const v = verdict(state);
    expect(v.status).toBe('found');
    expect(v.culprits).toEqual([]);
    expect(v.links.map((l) => [...l].sort())).toEqual([['node1', 'node5']]);
    expect(v.notes.join(' ')).toMatch(/each half passed/);
  });

  it('reports a failure that does not reproduce as inconclusive, with no culprit', () => {
    let state = startBisection(names(8), { timeoutMs: 1000 });
    let first = true;
    for (let i = 0; i < 50; i++) {
      const reqs = nextTests(state);
      if (reqs.length === 0) break;
      state = applyRound(
        state,
        reqs.map((request) => {
          const outcome = first ? ('timeout' as const) : ('pass' as const);
          first = false;
          return { request, result: { nodes: request.nodes, kind: request.kind, outcome, detail: '', durationMs: 1 } };
        }),
      );
    }
    const v = verdict(state);
    expect(v.status).toBe('inconclusive');
    expect(v.culprits).toEqual([]);
    expect(v.links).toEqual([]);
  });

  it('stops at once when a test cannot run, blaming nobody', () => {
    let state = startBisection(names(4), { timeoutMs: 1000 });
    const [req] = nextTests(state);
    if (!req) throw new Error('no request');
    state = applyRound(state, [
      {
        request: req,
        result: {
          nodes: req.nodes,
          kind: req.kind,
          outcome: 'error',
          detail: 'mpirun is not installed',
          durationMs: 0,
        },
      },
    ]);
    expect(nextTests(state)).toEqual([]);
    expect(verdict(state)).toMatchObject({ status: 'aborted', culprits: [] });
  });

  it('solo-tests nodes when none can be cleared, and names every bad one', () => {
    const v = verdict(run(names(3), { bad: ['node0', 'node1', 'node2'] }).state);
    expect([...v.culprits].sort()).toEqual(['node0', 'node1', 'node2']);
    const one = verdict(run(['only'], { bad: ['only'] }).state);
    expect(one.culprits).toEqual(['only']);
  });
});
