/**
 * The bisection planner: a pure state machine that finds the bad node(s) or link(s) in a group
 * whose collective test is slow or fails. `nextTests(state)` names the next round's tests
 * (disjoint node sets, run in parallel), `applyResult(state, request, result)` folds one answer
 * in, `verdict(state)` says what is known.
 *
 * Method: test the whole group; a failing group is split into halves and BOTH halves are tested
 * (a passing half is cleared; a failing one is split again), so k bad nodes among n are named in
 * 1 + ceil(log2 n) rounds when the faults show in any test that includes the node. A half of one
 * node is tested padded with a cleared node (a NIC fault shows only across the network), or —
 * before any node is cleared — alone with traffic forced through its NICs (`solo`); a solo pass
 * is confirmed later with a pad. When both halves of a failing group pass, the fault needs
 * members of both (a bad link, or a node that fails only with certain peers): a cross search
 * keeps one side whole and halves the other to name the pair. Nothing is blamed without a
 * failing test that shows it; a fault that does not reproduce is reported as inconclusive.
 */
import { isFailingOutcome, type TestKind, type TestMode, type TestRequest, type TestResult } from './types.ts';

interface GroupTask {
  id: number;
  type: 'group';
  nodes: string[];
  split?: number;
  side?: 'a' | 'b';
}
interface SingleTask {
  id: number;
  type: 'single';
  node: string;
  split?: number;
  side?: 'a' | 'b';
  /** Passed alone (forced through its NICs): needs a padded test to be cleared. */
  soloPassed: boolean;
  /** Nodes it was tested with, as a pair, and failed: not paired with them again. */
  triedWith: string[];
  /** Cleared pads it failed with: one such failure may be a bad link to that pad, so it is confirmed with another. */
  failedWith: string[];
}
interface CrossTask {
  id: number;
  type: 'cross';
  /** Kept whole in every test of this search. */
  fixed: string[];
  /** Halved until one node is left; `fixed ∪ search` is known to fail. */
  search: string[];
  phase: 'find-a' | 'find-b';
  /** The first half passed; the second half is being tested. */
  second: boolean;
}
type Task = GroupTask | SingleTask | CrossTask;

interface Split {
  a: string[];
  b: string[];
  sides: { a?: 'pass' | 'fail'; b?: 'pass' | 'fail' };
}

/** One test as run, for the record. */
export interface BisectStep {
  round: number;
  request: TestRequest;
  result: TestResult;
}

/** The whole planner state; plain data (JSON-serialisable) so a store can keep it. */
export interface BisectState {
  kind: TestKind;
  timeoutMs: number;
  nodes: string[];
  cleared: string[];
  culprits: string[];
  links: [string, string][];
  tasks: Task[];
  splits: Record<number, Split>;
  nextId: number;
  round: number;
  maxRounds: number;
  rootOutcome: 'pass' | 'fail' | undefined;
  /** The round in which the last culprit or link was named (0: none yet). */
  foundAtRound: number;
  aborted: string | undefined;
  notes: string[];
  history: BisectStep[];
}

/** What is known. `found`: at least one culprit or bad link, each shown by a failing test. */
export interface BisectVerdict {
  status: 'running' | 'healthy' | 'found' | 'inconclusive' | 'aborted';
  culprits: string[];
  links: [string, string][];
  /** Nodes that passed only alone and could not be checked against a cleared node. */
  unresolved: string[];
  rounds: number;
  /** The round that named the last culprit or link; later rounds only cleared the rest. */
  foundAtRound: number;
  tests: number;
  notes: string[];
}

/** Options of a bisection. */
export interface BisectOptions {
  kind?: TestKind;
  /** Time box of each test. */
  timeoutMs: number;
  /** Safety stop; default 3·ceil(log2 n) + 8, far above what the method needs. */
  maxRounds?: number;
}

/** ceil(log2 n) for n ≥ 1. */
export function ceilLog2(n: number): number {
  return n <= 1 ? 0 : Math.ceil(Math.log2(n));
}

/** A new bisection over `nodes` (distinct names, at least one). */
export function startBisection(nodes: readonly string[], opts: BisectOptions): BisectState {
  const unique = [...new Set(nodes)];
  if (unique.length === 0) throw new RangeError('a bisection needs at least one node');
  const first: Task =
    unique.length === 1
      ? { id: 1, type: 'single', node: unique[0] as string, soloPassed: false, triedWith: [], failedWith: [] }
      : { id: 1, type: 'group', nodes: unique };
  return {
    kind: opts.kind ?? 'nccl-allreduce',
    timeoutMs: opts.timeoutMs,
    nodes: unique,
    cleared: [],
    culprits: [],
    links: [],
    tasks: [first],
    splits: {},
    nextId: 2,
    round: 0,
    maxRounds: opts.maxRounds ?? 3 * ceilLog2(unique.length) + 8,
    rootOutcome: undefined,
    foundAtRound: 0,
    aborted: undefined,
    notes: [],
    history: [],
  };
}

function request(state: BisectState, taskIds: number[], nodes: string[], mode: TestMode, purpose: string): TestRequest {
  return {
    id: `r${state.round + 1}.${taskIds.join('+')}`,
    kind: state.kind,
    nodes,
    timeoutMs: state.timeoutMs,
    mode,
    purpose,
  };
}

function halves(nodes: readonly string[]): [string[], string[]] {
  const mid = Math.ceil(nodes.length / 2);
  return [nodes.slice(0, mid), nodes.slice(mid)];
}

/** The tests of the next round: disjoint node sets; empty when the bisection is over. Pure. */
export function nextTests(state: BisectState): TestRequest[] {
  if (state.aborted || state.round >= state.maxRounds) return [];
  const used = new Set<string>();
  const out: TestRequest[] = [];
  const take = (r: TestRequest) => {
    for (const n of r.nodes) used.add(n);
    out.push(r);
  };
  for (const t of state.tasks) {
    if (t.type !== 'cross') continue;
    const [h1, h2] = halves(t.search);
    const half = t.second ? h2 : h1;
    take(
      request(
        state,
        [t.id],
        [...t.fixed, ...half],
        'cross',
        `cross search: ${half.join(',')} with ${t.fixed.length} fixed`,
      ),
    );
  }
  for (const t of state.tasks) {
    if (t.type === 'group') take(request(state, [t.id], t.nodes, 'group', `group of ${t.nodes.length}`));
  }
  const linked = new Set(state.links.flat());
  const pads = (t: SingleTask) =>
    state.cleared
      .filter((n) => !used.has(n) && !t.failedWith.includes(n))
      .sort((x, y) => Number(linked.has(x)) - Number(linked.has(y)));
  const waiting: SingleTask[] = [];
  for (const t of state.tasks) {
    if (t.type !== 'single') continue;
    const pad = pads(t)[0];
    if (pad !== undefined) {
      const why =
        t.failedWith.length > 0 ? `${t.node} again, with another cleared node ${pad}` : `${t.node} with cleared ${pad}`;
      take(request(state, [t.id], [t.node, pad], 'padded', why));
    } else if (t.failedWith.length > 0) {
      // waiting for another cleared node to confirm it
    } else if (!t.soloPassed) {
      // no free cleared node this round: alone now (a failure names it at once) rather than wait
      take(request(state, [t.id], [t.node], 'solo', `${t.node} alone, traffic forced through its NICs`));
    } else if (state.cleared.length === 0) {
      waiting.push(t);
    }
  }
  // Before any node is cleared, solo-passed nodes are tried in pairs: a pair that passes clears both.
  const matched = new Set<number>();
  for (const [i, x] of waiting.entries()) {
    if (matched.has(i)) continue;
    const j = waiting.findIndex((y, k) => k > i && !matched.has(k) && !x.triedWith.includes(y.node));
    const y = waiting[j];
    if (j < 0 || !y) continue;
    matched.add(i).add(j);
    take(request(state, [x.id, y.id], [x.node, y.node], 'group', 'two solo-passed nodes together'));
  }
  return out;
}

function withoutTask(state: BisectState, id: number): Task[] {
  return state.tasks.filter((t) => t.id !== id);
}

function clear(state: BisectState, nodes: readonly string[]): string[] {
  const set = new Set(state.cleared);
  for (const n of nodes) if (!state.culprits.includes(n)) set.add(n);
  return state.nodes.filter((n) => set.has(n));
}

function childTask(id: number, nodes: string[], sibling: string[], split: number, side: 'a' | 'b'): Task {
  // a pair that failed together needs no second try as a pair
  const triedWith = sibling.length === 1 ? [...sibling] : [];
  return nodes.length === 1
    ? { id, type: 'single', node: nodes[0] as string, split, side, soloPassed: false, triedWith, failedWith: [] }
    : { id, type: 'group', nodes, split, side };
}

/** A cross search over a failing split whose halves both passed, or a link named at once. */
function startCross(s: BisectState, split: Split): BisectState {
  if (split.a.length === 1 && split.b.length === 1) {
    return { ...s, links: [...s.links, [split.a[0] as string, split.b[0] as string]] };
  }
  const task: CrossTask =
    split.a.length === 1
      ? { id: s.nextId, type: 'cross', fixed: split.a, search: split.b, phase: 'find-b', second: false }
      : { id: s.nextId, type: 'cross', fixed: split.b, search: split.a, phase: 'find-a', second: false };
  return { ...s, tasks: [...s.tasks, task], nextId: s.nextId + 1 };
}

function markSide(
  s: BisectState,
  splitId: number | undefined,
  side: 'a' | 'b' | undefined,
  v: 'pass' | 'fail',
): BisectState {
  if (splitId === undefined || side === undefined) return s;
  const split = s.splits[splitId];
  if (!split) return s;
  const next: Split = { ...split, sides: { ...split.sides, [side]: v } };
  let out: BisectState = { ...s, splits: { ...s.splits, [splitId]: next } };
  if (next.sides.a === 'pass' && next.sides.b === 'pass') {
    out = startCross(out, next);
    out.notes = [
      ...out.notes,
      `${[...next.a, ...next.b].join(',')} failed together but each half passed: searching for a bad pair`,
    ];
  }
  return out;
}

function applyGroup(s: BisectState, t: GroupTask, failing: boolean): BisectState {
  let out: BisectState = { ...s, tasks: withoutTask(s, t.id) };
  if (t.split === undefined && out.rootOutcome === undefined) out.rootOutcome = failing ? 'fail' : 'pass';
  if (!failing) {
    out.cleared = clear(out, t.nodes);
    return markSide(out, t.split, t.side, 'pass');
  }
  out = markSide(out, t.split, t.side, 'fail');
  const [a, b] = halves(t.nodes);
  const splitId = out.nextId;
  return {
    ...out,
    splits: { ...out.splits, [splitId]: { a, b, sides: {} } },
    tasks: [...out.tasks, childTask(splitId + 1, a, b, splitId, 'a'), childTask(splitId + 2, b, a, splitId, 'b')],
    nextId: splitId + 3,
  };
}

/**
 * How strongly the history blames `node`: 2 for a solo failure, else the number of failing tests
 * with pairwise disjoint sets of other members, all cleared. Disjoint peers rule out a single bad
 * link as the cause, so 2 or more names the node itself.
 */
export function blame(state: BisectState, node: string): number {
  const cleared = new Set(state.cleared);
  const peerSets: string[][] = [];
  for (const h of state.history) {
    if (!isFailingOutcome(h.result.outcome) || !h.request.nodes.includes(node)) continue;
    const others = h.request.nodes.filter((n) => n !== node);
    if (others.length === 0) return 2;
    if (others.every((n) => cleared.has(n))) peerSets.push(others);
  }
  const taken = new Set<string>();
  let disjoint = 0;
  for (const peers of peerSets.sort((x, y) => x.length - y.length)) {
    if (peers.some((n) => taken.has(n))) continue;
    for (const n of peers) taken.add(n);
    disjoint++;
  }
  return disjoint;
}

function applySingle(s: BisectState, t: SingleTask, mode: TestMode, failing: boolean, pad?: string): BisectState {
  const root = t.split === undefined && s.rootOutcome === undefined;
  if (failing && mode === 'padded' && pad !== undefined && blame(s, t.node) < 2) {
    const next: SingleTask = { ...t, failedWith: [...t.failedWith, pad] };
    return { ...s, tasks: s.tasks.map((x) => (x.id === t.id ? next : x)) };
  }
  if (failing) {
    const out: BisectState = {
      ...s,
      tasks: withoutTask(s, t.id),
      culprits: s.culprits.includes(t.node) ? s.culprits : [...s.culprits, t.node],
      ...(root ? { rootOutcome: 'fail' as const } : {}),
    };
    return markSide(out, t.split, t.side, 'fail');
  }
  if (mode === 'solo') {
    const tasks = s.tasks.map((x) => (x.id === t.id ? { ...t, soloPassed: true } : x));
    return { ...s, tasks, ...(root ? { rootOutcome: 'pass' as const } : {}) };
  }
  // it passed with another pad: each earlier failure was the link to that pad
  const links = t.failedWith.map((p): [string, string] => [t.node, p]);
  const out: BisectState = {
    ...s,
    tasks: withoutTask(s, t.id),
    cleared: clear(s, [t.node]),
    links: [...s.links, ...links],
  };
  return markSide(out, t.split, t.side, 'pass');
}

/** Promote nodes whose failures, now that more nodes are cleared, are enough to blame them. */
function settle(s: BisectState): BisectState {
  let out = s;
  for (const t of s.tasks) {
    if (t.type !== 'single' || t.failedWith.length === 0 || blame(out, t.node) < 2) continue;
    out = applySingle(out, { ...t, failedWith: [] }, 'solo', true);
  }
  return out;
}

function applyCross(s: BisectState, t: CrossTask, failing: boolean): BisectState {
  const [h1, h2] = halves(t.search);
  const half = t.second ? h2 : h1;
  let next: CrossTask;
  if (failing) next = { ...t, search: half, second: false };
  else if (!t.second) next = { ...t, second: true };
  else {
    return {
      ...s,
      tasks: withoutTask(s, t.id),
      notes: [
        ...s.notes,
        `cross search over ${[...t.fixed, ...t.search].join(',')}: no half reproduced the failure (intermittent?)`,
      ],
    };
  }
  if (next.search.length > 1) return { ...s, tasks: s.tasks.map((x) => (x.id === t.id ? next : x)) };
  const found = next.search[0] as string;
  if (next.phase === 'find-a') {
    if (t.fixed.length === 1)
      return { ...s, tasks: withoutTask(s, t.id), links: [...s.links, [found, t.fixed[0] as string]] };
    const b: CrossTask = { ...next, phase: 'find-b', fixed: [found], search: t.fixed, second: false };
    return { ...s, tasks: s.tasks.map((x) => (x.id === t.id ? b : x)) };
  }
  return { ...s, tasks: withoutTask(s, t.id), links: [...s.links, [t.fixed[0] as string, found]] };
}

/** Fold one test's result into the state. Pure; `request` must come from nextTests(state). */
export function applyResult(state: BisectState, req: TestRequest, result: TestResult): BisectState {
  const round = Number(/^r(\d+)\./.exec(req.id)?.[1] ?? state.round + 1);
  let s: BisectState = {
    ...state,
    round: Math.max(state.round, round),
    history: [...state.history, { round, request: req, result }],
  };
  if (result.outcome === 'error')
    return { ...s, aborted: `test ${req.id} on ${req.nodes.join(',')} could not run: ${result.detail}` };
  const failing = isFailingOutcome(result.outcome);
  const ids = req.id
    .slice(req.id.indexOf('.') + 1)
    .split('+')
    .map(Number);
  const tasks = ids.map((id) => s.tasks.find((t) => t.id === id));
  const [task] = tasks;
  if (!task) return s;
  if (tasks.length === 2) {
    // two solo-passed nodes tested together
    if (!failing) {
      for (const t of tasks) if (t?.type === 'single') s = applySingle(s, t, 'padded', false);
      return settle(s);
    }
    const pair = req.nodes;
    return {
      ...s,
      tasks: s.tasks.map((t) =>
        ids.includes(t.id) && t.type === 'single'
          ? { ...t, triedWith: [...t.triedWith, ...pair.filter((n) => n !== t.node)] }
          : t,
      ),
    };
  }
  const next =
    task.type === 'group'
      ? settle(applyGroup(s, task, failing))
      : task.type === 'single'
        ? settle(
            applySingle(
              s,
              task,
              req.mode,
              failing,
              req.nodes.find((n) => n !== task.node),
            ),
          )
        : settle(applyCross(s, task, failing));
  const named = next.culprits.length + next.links.length > s.culprits.length + s.links.length;
  return named ? { ...next, foundAtRound: round } : next;
}

/** Fold a whole round (the results of one nextTests batch). */
export function applyRound(
  state: BisectState,
  results: readonly { request: TestRequest; result: TestResult }[],
): BisectState {
  return results.reduce((s, r) => applyResult(s, r.request, r.result), state);
}

/** What the bisection has established so far. Pure. */
export function verdict(state: BisectState): BisectVerdict {
  const base = {
    culprits: state.culprits,
    links: state.links,
    rounds: state.round,
    foundAtRound: state.foundAtRound,
    tests: state.history.length,
    notes: [...state.notes],
  };
  const pending = nextTests(state).length > 0;
  const unresolved = state.tasks.flatMap((t) => (t.type === 'single' ? [t.node] : t.type === 'group' ? t.nodes : []));
  if (state.aborted) return { ...base, status: 'aborted', unresolved, notes: [...base.notes, state.aborted] };
  if (pending) return { ...base, status: 'running', unresolved: [] };
  if (state.round >= state.maxRounds && state.tasks.length > 0)
    base.notes.push(`stopped at the round limit (${state.maxRounds})`);
  if (state.rootOutcome === 'pass' && state.culprits.length === 0) return { ...base, status: 'healthy', unresolved };
  if (state.culprits.length > 0 || state.links.length > 0) return { ...base, status: 'found', unresolved };
  return { ...base, status: 'inconclusive', unresolved };
}
