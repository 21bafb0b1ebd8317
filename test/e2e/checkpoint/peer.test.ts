/**
 * Two agents' checkpoint engines in one test on loopback: each replicates its in-memory slots
 * to the other over TCP; a node that loses its memory and disks restores from the buddy.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FlushEngine } from '../../../agent/checkpoint/flush-engine.ts';
import { type PeerAddress, PeerReceiver } from '../../../agent/checkpoint/peer.ts';
import { PeerSender } from '../../../agent/checkpoint/peer-sender.ts';
import { peerSource } from '../../../agent/checkpoint/peer-source.ts';
import { memorySource, restoreRank } from '../../../agent/checkpoint/restore.ts';
import { DirTier } from '../../../agent/checkpoint/tier.ts';
import { type DurableReport, decideCommit } from '../../../checkpoint-lib/commit.ts';
import { Checkpointer } from '../../../checkpoint-lib/writer.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function node(name: string) {
  const shm = mkdtempSync(`/dev/shm/keelson-peer-${name}-`);
  const disk = mkdtempSync(join(tmpdir(), `kpeer-${name}-`));
  mkdirSync(join(disk, 'nvme'));
  cleanup.push(
    () => rmSync(shm, { recursive: true, force: true }),
    () => rmSync(disk, { recursive: true, force: true }),
  );
  const receiver = new PeerReceiver({ root: join(shm, '.peers'), budgetBytes: 64 << 20 });
  const addr = await receiver.listen({ host: '127.0.0.1', port: 0 });
  cleanup.push(() => receiver.close());
  const reports: DurableReport[] = [];
  let buddy: PeerAddress | undefined;
  const sender = new PeerSender(
    name,
    () => buddy,
    (r) => reports.push(r),
  );
  const engine = new FlushEngine({
    node: name,
    shmRoot: shm,
    tiers: [new DirTier('nvme', join(disk, 'nvme'))],
    journalPath: join(disk, 'journal'),
    onDurable: (r) => reports.push(r),
    onMemory: (slot, sums) => sender.offer(slot, sums),
  });
  await engine.start();
  cleanup.push(() => engine.stop());
  return { name, shm, disk, receiver, addr, sender, engine, reports, setBuddy: (a: PeerAddress) => (buddy = a) };
}

describe('peer replication', () => {
  it('replicates each node’s memory to its buddy and restores from the buddy after the node is lost', async () => {
    const a = await node('a');
    const b = await node('b');
    a.setBuddy(b.addr);
    b.setBuddy(a.addr);
    const shard = (rank: number, step: number) => Buffer.alloc(300_000, rank * 16 + step);
    const wa = new Checkpointer('job', 0, 2, { shmRoot: a.shm });
    const wb = new Checkpointer('job', 1, 2, { shmRoot: b.shm });
    cleanup.push(
      () => wa.close(),
      () => wb.close(),
    );
    wa.save(4, { w: shard(0, 4) });
    wb.save(4, { w: shard(1, 4) });
    a.engine.notify();
    b.engine.notify();
    await Promise.all([a.engine.idle(), b.engine.idle()]);
    await Promise.all([a.sender.settled(), b.sender.settled()]);
    // b holds a's rank 0 and a holds b's rank 1.
    expect((await b.receiver.list()).map((h) => [h.node, h.rank, h.step])).toEqual([['a', 0, 4]]);
    expect((await a.receiver.list()).map((h) => [h.node, h.rank, h.step])).toEqual([['b', 1, 4]]);
    // Both ranks are in a peer's memory: step 4 commits on the peer tier (and nvme).
    const m = decideCommit([...a.reports, ...b.reports], 2);
    expect(m?.step).toBe(4);
    expect(m?.tiers).toContain('peer');
    // Node a is lost: its shm and disks are gone. A replacement restores rank 0 from b.
    rmSync(join(a.shm, 'job'), { recursive: true, force: true });
    const r = await restoreRank({
      job: 'job',
      rank: 0,
      committed: [m!],
      sources: [memorySource(a.shm), peerSource(b.addr, 'a')],
    });
    expect(r.tier).toBe('peer');
    expect(Buffer.compare(r.data.subarray(0, 300_000), shard(0, 4))).toBe(0);
    expect(r.fallbacks.map((f) => f.tier)).toEqual(['memory']);
  });

  it('refuses a replica over the memory budget and reports the peer unreachable', async () => {
    const b = await node('b2');
    const small = new PeerReceiver({ root: join(b.shm, '.small'), budgetBytes: 1000 });
    const addr = await small.listen({ host: '127.0.0.1', port: 0 });
    cleanup.push(() => small.close());
    const shm = mkdtempSync('/dev/shm/keelson-peer-x-');
    cleanup.push(() => rmSync(shm, { recursive: true, force: true }));
    const reports: DurableReport[] = [];
    const sender = new PeerSender(
      'x',
      () => addr,
      (r) => reports.push(r),
    );
    const path = join(shm, 'data');
    writeFileSync(path, Buffer.alloc(5000, 1));
    const { crc32 } = await import('node:zlib');
    sender.offer(
      {
        job: 'job',
        rank: 0,
        slot: 0,
        dir: shm,
        pinned: false,
        record: {
          format: 'keelson.slot/1',
          job: 'job',
          rank: 0,
          world: 1,
          step: 1,
          saveId: 'x',
          slot: 0,
          createdAt: 0,
          dataBytes: 5000,
          shards: [{ name: 'w', offset: 0, size: 5000 }],
        },
      },
      [crc32(Buffer.alloc(5000, 1))],
    );
    await sender.settled();
    expect(reports).toEqual([]);
    expect(sender.observation()?.code).toBe('ckpt.peer.unreachable');
    expect(sender.observation()?.evidence).toMatch(/budget/);
  });
});
