import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.ts';
import type { SequencedMessage } from '../protocol/messages.ts';
import { helloFrom } from '../test/helpers/messages.ts';
import { ApplyBatcher, type ApplyOutcome } from './apply-batcher.ts';
import { Fleet } from './fleet.ts';
import { Store } from './store.ts';

const log = silentLogger();
const hello = (nodeId: string) => helloFrom(nodeId);
const findings = (seq: number, component: string): SequencedMessage => ({
  v: 1,
  ts: seq,
  type: 'findings',
  seq,
  changes: [
    {
      change: 'opened',
      finding: {
        code: 'x.y',
        component,
        severity: 'warn',
        action: 'none',
        kind: 'event',
        message: 'm',
        evidence: '',
        firstSeen: 1,
        lastSeen: 1,
        count: 1,
      },
    },
  ],
});

function setup() {
  const store = new Store(':memory:');
  const fleet = new Fleet(store, log);
  for (const n of ['a', 'b']) fleet.hello(hello(n), 0);
  return { store, fleet, batcher: new ApplyBatcher(store, fleet, log) };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('ApplyBatcher (group commit)', () => {
  it('applies everything queued in one turn in one transaction, then reports each', async () => {
    const { store, fleet, batcher } = setup();
    let transactions = 0;
    const batch = store.batch.bind(store);
    store.batch = <T>(fn: () => T): T => {
      transactions += 1;
      return batch(fn);
    };
    const outcomes: ApplyOutcome[] = [];
    for (let i = 1; i <= 50; i++) batcher.submit(i % 2 ? 'a' : 'b', findings(i, `c${i}`), i, (o) => outcomes.push(o));
    batcher.submit('a', findings(1, 'c1'), 99, (o) => outcomes.push(o)); // a replay
    expect(outcomes).toEqual([]); // nothing is reported before the commit
    await settle();
    expect(transactions).toBe(1);
    expect(outcomes.filter((o) => o.ok && o.fresh)).toHaveLength(50);
    expect(outcomes[50]).toEqual({ ok: true, fresh: false });
    expect(fleet.findings({ limit: 100 })).toHaveLength(50);
  });

  it('refuses one bad message without losing the others', async () => {
    const { fleet, batcher } = setup();
    const outcomes: ApplyOutcome[] = [];
    batcher.submit('a', findings(1, 'ok1'), 1, (o) => outcomes.push(o));
    batcher.submit('nobody', findings(1, 'bad'), 1, (o) => outcomes.push(o));
    batcher.submit('b', findings(1, 'ok2'), 1, (o) => outcomes.push(o));
    await settle();
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
    expect(
      fleet
        .findings({})
        .map((f) => f.component)
        .sort(),
    ).toEqual(['ok1', 'ok2']);
  });

  it('when the commit fails, refuses the batch and reloads memory from the database (no phantom acks)', async () => {
    const { store, fleet, batcher } = setup();
    batcher.submit('a', findings(1, 'committed'), 1, () => {});
    await settle();
    const batch = store.batch.bind(store);
    store.batch = <T>(fn: () => T): T =>
      batch(() => {
        fn();
        throw new Error('disk I/O error');
      });
    const events: string[] = [];
    fleet.on('finding', (e) => events.push(e.finding.component));
    const outcomes: ApplyOutcome[] = [];
    batcher.submit('a', findings(2, 'lost'), 2, (o) => outcomes.push(o));
    await settle();
    expect(outcomes.map((o) => o.ok)).toEqual([false]);
    expect(events).toEqual([]); // nothing uncommitted was announced
    expect(fleet.nodeDetail('a')?.findings.map((f) => f.component)).toEqual(['committed']);
    // memory forgot seq 2 with the database, so the agent's replay of it is applied
    store.batch = batch;
    batcher.submit('a', findings(2, 'lost'), 3, (o) => outcomes.push(o));
    await settle();
    expect(outcomes[1]).toEqual({ ok: true, fresh: true });
  });
});

describe('metrics through the batcher (samples held compactly)', () => {
  const metrics = (seq: number, samples: { name: string; value: number; labels?: Record<string, string> }[]) =>
    ({ v: 1, ts: seq, type: 'metrics', seq, probe: { name: 'gpu', status: 'ok' }, samples }) as SequencedMessage;

  it('shows the newest values, the newest series set, and the probe status', async () => {
    const { fleet, batcher } = setup();
    const t = (v: number, gpu = '0') => ({ name: 'gpu_temperature_celsius', value: v, labels: { gpu } });
    batcher.submit('a', metrics(1, [t(40), t(41, '1'), { name: 'up', value: 1 }]), 1, () => {});
    await settle();
    batcher.submit('a', metrics(2, [t(50), t(51, '1'), { name: 'up', value: 0 }]), 2, () => {});
    await settle();
    expect(fleet.nodeDetail('a')?.samples).toStrictEqual([t(50), t(51, '1'), { name: 'up', value: 0 }]);
    // other labels, other names, fewer series: the held set is replaced, not merged
    batcher.submit('a', metrics(3, [t(60, '7'), { name: 'up', value: 1 }]), 3, () => {});
    await settle();
    expect(fleet.nodeDetail('a')?.samples).toStrictEqual([t(60, '7'), { name: 'up', value: 1 }]);
    batcher.submit(
      'a',
      metrics(4, [
        { name: 'down', value: 1 },
        { name: 'up', value: 2 },
      ]),
      4,
      () => {},
    );
    await settle();
    expect(fleet.nodeDetail('a')?.samples).toStrictEqual([
      { name: 'down', value: 1 },
      { name: 'up', value: 2 },
    ]);
    // a replayed (older) message changes nothing
    batcher.submit('a', metrics(2, [t(99), t(99, '1'), { name: 'up', value: 9 }]), 5, () => {});
    await settle();
    expect(fleet.nodeDetail('a')?.samples.map((s) => s.value)).toEqual([1, 2]);
    expect(fleet.nodeDetail('a')?.probes).toEqual([{ name: 'gpu', status: 'ok' }]);
  });

  it('refuses the later messages of a node whose earlier message failed in the same batch (no seq skipped)', async () => {
    const { fleet, batcher } = setup();
    const outcomes: [string, boolean][] = [];
    const apply = fleet.apply.bind(fleet);
    fleet.apply = (node, msg, now) => {
      if (node === 'a' && msg.seq === 2) throw new Error('savepoint failed');
      return apply(node, msg, now);
    };
    for (const [node, seq] of [
      ['a', 1],
      ['a', 2],
      ['b', 1],
      ['a', 3],
    ] as const)
      batcher.submit(node, findings(seq, `${node}${seq}`), seq, (o) => outcomes.push([`${node}${seq}`, o.ok]));
    await settle();
    expect(outcomes).toEqual([
      ['a1', true],
      ['a2', false],
      ['b1', true],
      ['a3', false],
    ]);
    // seq 2 is still expected from a: its replay is applied, not taken for a duplicate
    fleet.apply = apply;
    const replay: ApplyOutcome[] = [];
    batcher.submit('a', findings(2, 'a2'), 9, (o) => replay.push(o));
    await settle();
    expect(replay).toEqual([{ ok: true, fresh: true }]);
  });
});

describe("the fleet's own writes through the group commit", () => {
  const count = (store: Store, sql: string, ...args: unknown[]) =>
    (
      store
        .database()
        .prepare(sql)
        .get(...args) as { n: number }
    ).n;

  it('stores a storm of hellos, disconnects and lost nodes in one transaction per turn, in order', async () => {
    const store = new Store(':memory:');
    const fleet = new Fleet(store, log);
    const batcher = new ApplyBatcher(store, fleet, log);
    // commits: top-level transactions (a write's savepoint runs inside one)
    let transactions = 0;
    const batch = store.batch.bind(store);
    store.batch = <T>(fn: () => T): T => {
      if (!store.database().inTransaction) transactions += 1;
      return batch(fn);
    };
    for (let i = 0; i < 300; i++) fleet.hello(hello(`n${i}`), 1);
    // memory knows them at once; the disk with the commit
    expect(fleet.listNodes()).toHaveLength(300);
    expect(count(store, 'SELECT count(*) n FROM nodes')).toBe(0);
    batcher.submit('n7', findings(1, 'after-hello'), 2, () => {});
    for (let i = 0; i < 300; i++) fleet.disconnected(`n${i}`, false, 3);
    await settle();
    expect(transactions).toBe(1);
    expect(count(store, "SELECT count(*) n FROM nodes WHERE state = 'offline'")).toBe(300);
    expect(count(store, "SELECT count(*) n FROM events WHERE type = 'connected'")).toBe(300);
    expect(count(store, "SELECT count(*) n FROM events WHERE type = 'disconnected'")).toBe(300);
    // the message sent after the welcome was stored after the hello row, so its seq stands
    expect(count(store, "SELECT last_seq n FROM nodes WHERE id = 'n7'")).toBe(1);

    transactions = 0;
    expect(fleet.tick(10 * 60_000, 60_000)).toHaveLength(300);
    expect(count(store, "SELECT count(*) n FROM findings WHERE code = 'node.lost'")).toBe(0);
    await settle();
    expect(transactions).toBe(1);
    expect(count(store, "SELECT count(*) n FROM nodes WHERE state = 'lost'")).toBe(300);
    expect(count(store, "SELECT count(*) n FROM findings WHERE code = 'node.lost' AND active = 1")).toBe(300);
  });

  it('announces a collector finding only once it is committed', async () => {
    const store = new Store(':memory:');
    const fleet = new Fleet(store, log);
    new ApplyBatcher(store, fleet, log);
    fleet.hello(hello('a'), 1);
    fleet.disconnected('a', false, 1);
    await settle();
    const seen: [string, number][] = [];
    fleet.on('finding', (e) =>
      seen.push([
        e.change,
        count(store, "SELECT count(*) n FROM findings WHERE node = 'a' AND code = 'node.lost' AND active = 1"),
      ]),
    );
    fleet.tick(10 * 60_000, 60_000);
    expect(seen).toEqual([]);
    await settle();
    expect(seen).toEqual([['opened', 1]]);
    fleet.hello(hello('a'), 11 * 60_000); // back: node.lost clears
    expect(seen).toEqual([['opened', 1]]);
    await settle();
    expect(seen).toEqual([
      ['opened', 1],
      ['cleared', 0],
    ]);
  });

  it("tells the session when its hello could not be stored, and keeps the batch's other writes", async () => {
    const store = new Store(':memory:');
    const fleet = new Fleet(store, log);
    new ApplyBatcher(store, fleet, log);
    const upsert = store.upsertHello.bind(store);
    store.upsertHello = (n) => {
      if (n.id === 'bad') throw new Error('SQLITE_CONSTRAINT');
      upsert(n);
    };
    const failures: string[] = [];
    fleet.hello(hello('good1'), 1, () => failures.push('good1'));
    fleet.hello(hello('bad'), 1, (err) => failures.push(`bad: ${(err as Error).message}`));
    fleet.hello(hello('good2'), 1, () => failures.push('good2'));
    expect(failures).toEqual([]);
    await settle();
    expect(failures).toEqual(['bad: SQLITE_CONSTRAINT']);
    expect(count(store, 'SELECT count(*) n FROM nodes')).toBe(2);
    // the failed write rolled back alone: not even its event was kept
    expect(count(store, "SELECT count(*) n FROM events WHERE node = 'bad'")).toBe(0);
  });
});

describe('Store.upsertHello', () => {
  it('keeps the stored seq for the same epoch, even written after messages of that epoch, and resets it for a new one', () => {
    const store = new Store(':memory:');
    const row = { id: 'a', hostname: 'a', labels: {}, agentVersion: 't', epoch: 'e1', now: 1 };
    store.upsertHello(row);
    expect(store.helloSeq('a', 'e1')).toBe(0);
    store.applySequenced('a', 41, 2, () => {});
    store.upsertHello({ ...row, now: 3 }); // a reconnect's row, committed after seq 41
    expect(store.helloSeq('a', 'e1')).toBe(41);
    expect(store.helloSeq('a', 'e2')).toBe(0);
    store.upsertHello({ ...row, epoch: 'e2', now: 4 });
    expect(store.helloSeq('a', 'e2')).toBe(0);
    expect(store.helloSeq('unknown', 'e1')).toBe(0);
  });
});
