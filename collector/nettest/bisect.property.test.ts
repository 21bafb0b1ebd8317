import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyRound, ceilLog2, nextTests, startBisection, verdict } from './bisect.ts';
import { type FaultModel, modelResult } from './fault-model.ts';

function bisect(n: number, faults: FaultModel) {
  const nodes = Array.from({ length: n }, (_, i) => `node${i}`);
  let state = startBisection(nodes, { timeoutMs: 1000 });
  for (;;) {
    const reqs = nextTests(state);
    if (reqs.length === 0) return verdict(state);
    state = applyRound(
      state,
      reqs.map((request) => ({ request, result: modelResult(request.nodes, request.kind, faults) })),
    );
  }
}

const scenario = fc
  .integer({ min: 2, max: 128 })
  .chain((n) => fc.tuple(fc.constant(n), fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: 3 })));

describe('bisection planner (property)', () => {
  // Culprits are named by round 2 + ceil(log2 n): 1 + ceil(log2 n) to reach single nodes, plus one
  // to confirm a node whose only failure with a cleared peer could have been a bad link to that
  // peer (two bad nodes in the last pair). Up to one more round only clears nodes that passed
  // alone (traffic forced through their NICs) before any node was cleared.
  it('for any n in [2,128] and ≤3 bad nodes, the verdict is exactly the bad set, named within 2 + ceil(log2 n) rounds', () => {
    fc.assert(
      fc.property(scenario, ([n, badIdx]) => {
        const bad = badIdx.map((i) => `node${i}`);
        const v = bisect(n, { bad });
        expect([...v.culprits].sort()).toEqual([...bad].sort());
        expect(v.links).toEqual([]);
        expect(v.status).toBe(bad.length === 0 ? 'healthy' : 'found');
        expect(v.foundAtRound).toBeLessThanOrEqual(2 + ceilLog2(n));
        expect(v.rounds).toBeLessThanOrEqual(3 + ceilLog2(n));
      }),
      { numRuns: 300 },
    );
  });

  it('never blames a healthy node, whatever mix of paired-only nodes and bad links', () => {
    const mixed = fc.integer({ min: 2, max: 64 }).chain((n) =>
      fc.record({
        n: fc.constant(n),
        pairedOnly: fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: 2 }),
        links: fc.array(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: n - 1 })), {
          maxLength: 1,
        }),
      }),
    );
    fc.assert(
      fc.property(mixed, ({ n, pairedOnly, links }) => {
        const faults: FaultModel = {
          pairedOnly: pairedOnly.map((i) => `node${i}`),
          links: links.filter(([a, b]) => a !== b).map(([a, b]) => [`node${a}`, `node${b}`] as const),
        };
        const v = bisect(n, faults);
        for (const c of v.culprits) expect(faults.pairedOnly).toContain(c);
        for (const [a, b] of v.links) {
          const isLink = (faults.links ?? []).some(([x, y]) => (x === a && y === b) || (x === b && y === a));
          const touchesPairedOnly = faults.pairedOnly?.includes(a) || faults.pairedOnly?.includes(b);
          expect(isLink || touchesPairedOnly).toBe(true);
        }
        if ((faults.links ?? []).length === 0 && n >= 3 && pairedOnly.length === 1) {
          expect(v.culprits).toEqual(faults.pairedOnly);
        }
      }),
      { numRuns: 300 },
    );
  });
});
