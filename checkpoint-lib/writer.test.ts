import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pinSlot, unpinSlot } from '../agent/checkpoint/shm-slots.ts';
import { shmPaths } from './format.ts';
import { claimSlot, readRecord } from './slot-claim.ts';
import { Checkpointer } from './writer.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const shm = () => {
  const d = mkdtempSync('/dev/shm/keelson-w-');
  dirs.push(d);
  return d;
};

describe('TypeScript Checkpointer', () => {
  it('writes shards at aligned offsets with dtype/shape and the record last, reusing slot files', () => {
    const root = shm();
    const w = new Checkpointer('job', 2, 4, { shmRoot: root });
    const a = Buffer.alloc(5000, 1);
    const r1 = w.save(1, { a: { data: a, dtype: 'float32', shape: [1250] }, b: Buffer.alloc(10, 2) });
    const r2 = w.save(2, { a, b: Buffer.alloc(10, 3) });
    const r3 = w.save(3, { a, b: Buffer.alloc(10, 4) });
    expect([r1, r2, r3].map((r) => (r.saved ? r.slot : -1))).toEqual([0, 1, 0]);
    const dir = shmPaths.slot(root, 'job', 2, 0);
    const rec = readRecord(join(dir, 'COMMIT'));
    expect(rec?.step).toBe(3);
    expect(rec?.shards.map((s) => [s.name, s.offset, s.size])).toEqual([
      ['a', 0, 5000],
      ['b', 8192, 10],
    ]);
    expect(readFileSync(join(dir, 'data'))[8192]).toBe(4);
    expect(existsSync(join(dir, 'WRITING'))).toBe(false);
    w.close();
  });

  it('never writes into a slot the agent pinned; a slot the writer claimed cannot be pinned', async () => {
    const root = shm();
    const w = new Checkpointer('job', 0, 1, { shmRoot: root, slots: 1 });
    const first = w.save(1, { a: Buffer.alloc(100, 1) });
    expect(first.saved).toBe(true);
    const dir = shmPaths.slot(root, 'job', 0, 0);
    const saveId = readRecord(join(dir, 'COMMIT'))!.saveId;
    expect(await pinSlot(dir, saveId)).toBeDefined();
    const skipped = w.save(2, { a: Buffer.alloc(100, 2) });
    expect(skipped).toMatchObject({ saved: false, reason: 'all-slots-busy' });
    expect(readFileSync(join(dir, 'data'))[0]).toBe(1);
    await unpinSlot(dir);
    // A writer mid-save (WRITING raised) makes the agent back off even if a COMMIT is present.
    const recText = readFileSync(join(dir, 'COMMIT'), 'utf8');
    expect(claimSlot(dir)).toBe(true);
    expect(existsSync(join(dir, 'COMMIT'))).toBe(false);
    writeFileSync(join(dir, 'COMMIT'), recText); // the race window: COMMIT and WRITING both present
    expect(await pinSlot(dir, saveId)).toBeUndefined();
    expect(existsSync(join(dir, 'COMMIT'))).toBe(true);
    expect(existsSync(join(dir, 'COMMIT.pinned'))).toBe(false);
    w.close();
  });

  it('notifies the agent over the unix socket with one NDJSON line per save', async () => {
    const root = shm();
    const path = join(root, 'agent.sock');
    const lines: string[] = [];
    const server = createServer((s) => s.on('data', (b) => lines.push(...b.toString().trim().split('\n'))));
    await new Promise<void>((r) => server.listen(path, r));
    const w = new Checkpointer('job', 0, 1, { shmRoot: root, socketPath: path });
    w.save(7, { a: Buffer.alloc(10) });
    for (let i = 0; i < 50 && !lines.length; i++) await new Promise((r) => setTimeout(r, 10));
    expect(JSON.parse(lines[0]!)).toMatchObject({ type: 'ckpt-saved', job: 'job', rank: 0, step: 7, slot: 0 });
    w.close();
    server.close();
  });
});
