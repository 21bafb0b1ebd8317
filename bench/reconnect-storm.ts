/**
 * A fleet-wide reconnect storm at the collector's store: N nodes leave (a network partition),
 * are marked lost, and come back (each hello clears its node.lost), with the real Store on a
 * file (WAL, synchronous=FULL: an fsync per commit) and the real Fleet. The events arrive over
 * many event-loop turns (`--per-turn` a turn, as closing sockets do), and the figure is the
 * event-loop time the collector spends storing them — through the group commit (ApplyBatcher,
 * what the collector runs) against the baseline of one autocommit per write, measured in the
 * same run on the same disk. Also the longest single turn in each mode: what a dashboard
 * request or an agent's message waits behind.
 * Usage: node --import tsx bench/reconnect-storm.ts [--json] [--nodes 10000] [--per-turn 50]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ApplyBatcher } from '../collector/apply-batcher.ts';
import { Fleet } from '../collector/fleet.ts';
import { Store } from '../collector/store.ts';
import { silentLogger } from '../core/logger.ts';
import type { Hello } from '../protocol/messages.ts';
import { parseBenchArgs } from './lib/cli-args.ts';
import { note, printFigures } from './lib/output.ts';

const { json, numbers } = parseBenchArgs(process.argv.slice(2), { nodes: 10_000, 'per-turn': 50 });
const N = numbers.nodes!;
const perTurn = numbers['per-turn']!;

const hello = (i: number, epoch: string): Hello => ({
  v: 1,
  ts: 0,
  type: 'hello',
  nodeId: `node-${String(i).padStart(5, '0')}`,
  hostname: `gpu-${i}`,
  labels: { rack: `r${i % 40}`, job: 'pretrain' },
  agentVersion: '0.1.0',
  capabilities: [],
  epoch,
  lastAckedSeq: 0,
});

const turn = () => new Promise<void>((r) => setImmediate(r));

/** Set while `spread` times a turn: a group commit inside it is already counted. */
let timing = false;
/** Group commits that ran in their own turn (setImmediate), ms each. */
const commitMs: number[] = [];

interface Phase {
  /** Event-loop time spent in this phase's work (the sum of its turns), ms. */
  busyMs: number;
  /** The longest single turn, ms. */
  maxTurnMs: number;
}

/** Run `step(i)` for i < N, `perTurn` a turn, timing each turn's synchronous work (and the group commit's turn). */
async function spread(step: (i: number) => void): Promise<Phase> {
  let busyMs = 0;
  let maxTurnMs = 0;
  const account = (ms: number) => {
    busyMs += ms;
    maxTurnMs = Math.max(maxTurnMs, ms);
  };
  for (let i = 0; i < N; ) {
    timing = true;
    const t0 = performance.now();
    for (const end = Math.min(N, i + perTurn); i < end; i++) step(i);
    account(performance.now() - t0);
    timing = false;
    await turn();
  }
  return { busyMs, maxTurnMs };
}

async function storm(batched: boolean): Promise<Record<string, Phase>> {
  const dir = mkdtempSync(join(process.env.KEELSON_BENCH_DIR ?? tmpdir(), 'keelson-storm-'));
  const store = new Store(join(dir, 'keelson.db'));
  const fleet = new Fleet(store, silentLogger());
  let batcher: ApplyBatcher | undefined;
  if (batched) {
    batcher = new ApplyBatcher(store, fleet, silentLogger());
    // Time the group commit's own turn as part of the work.
    const flush = batcher.flush.bind(batcher);
    batcher.flush = () => {
      const t0 = performance.now();
      flush();
      if (!timing) commitMs.push(performance.now() - t0);
    };
  }
  const withCommits = async (p: Promise<Phase>): Promise<Phase> => {
    commitMs.length = 0;
    const phase = await p;
    await turn();
    // In the turns above the commits ran inside setImmediate callbacks, outside `spread`'s timing.
    for (const ms of commitMs) {
      phase.busyMs += ms;
      phase.maxTurnMs = Math.max(phase.maxTurnMs, ms);
    }
    return phase;
  };
  try {
    let now = Date.now();
    const first = await withCommits(spread((i) => fleet.hello(hello(i, 'e1'), now)));
    const leave = await withCommits(spread((i) => fleet.disconnected(hello(i, 'e1').nodeId, false, now)));
    now += 10 * 60_000;
    timing = true;
    const t0 = performance.now();
    const lostIds = fleet.tick(now, 60_000);
    const tickMs = performance.now() - t0;
    timing = false;
    const lost = await withCommits(Promise.resolve({ busyMs: tickMs, maxTurnMs: tickMs }));
    if (lostIds.length !== N) throw new Error(`expected ${N} lost nodes, got ${lostIds.length}`);
    const back = await withCommits(spread((i) => fleet.hello(hello(i, 'e1'), now)));
    const online = fleet.listNodes().filter((n) => n.state === 'online' && n.findingCounts.degraded === 0).length;
    if (online !== N) throw new Error(`expected ${N} nodes online with node.lost cleared, got ${online}`);
    return { first, leave, lost, back };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const sum = (p: Record<string, Phase>) => Object.values(p).reduce((a, b) => a + b.busyMs, 0);
const max = (p: Record<string, Phase>) => Math.max(...Object.values(p).map((x) => x.maxTurnMs));
const r2 = (x: number) => Number(x.toFixed(2));

note(`reconnect storm: ${N} nodes, ${perTurn} events a turn; per-write baseline first`);
const perWrite = await storm(false);
note(`per-write: ${JSON.stringify(perWrite)}`);
const grouped = await storm(true);
note(`group commit: ${JSON.stringify(grouped)}`);
printFigures(
  {
    nodes: N,
    groupCommitBusyMs: r2(sum(grouped)),
    perWriteBusyMs: r2(sum(perWrite)),
    busyRatio: r2(sum(grouped) / sum(perWrite)),
    groupCommitMaxTurnMs: r2(max(grouped)),
    perWriteMaxTurnMs: r2(max(perWrite)),
    leaveGroupCommitMs: r2(grouped.leave!.busyMs),
    leavePerWriteMs: r2(perWrite.leave!.busyMs),
  },
  json,
);
