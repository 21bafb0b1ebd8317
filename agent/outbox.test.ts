import { appendFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.ts';
import type { WireFinding } from '../protocol/messages.ts';
import { Outbox, type Unsequenced } from './outbox.ts';

const log = silentLogger();
const dir = () => mkdtempSync(join(tmpdir(), 'keelson-outbox-'));
const finding: WireFinding = {
  code: 'x.y',
  component: 'host',
  severity: 'warn',
  action: 'none',
  kind: 'event',
  message: 'm',
  evidence: 'e',
  firstSeen: 1,
  lastSeen: 1,
  count: 1,
};
const findings = (n: number): Unsequenced => ({
  v: 1,
  ts: n,
  type: 'findings',
  changes: [{ change: 'opened', finding: { ...finding, component: `c${n}` } }],
});
const metrics = (n: number): Unsequenced => ({ v: 1, ts: n, type: 'metrics', samples: [{ name: 'm', value: n }] });

describe('Outbox', () => {
  it('numbers messages in order and forgets what the collector acknowledged', () => {
    const ob = Outbox.open({ dir: dir(), maxMessages: 100, maxSpoolBytes: 1 << 20, log });
    const a = ob.enqueue(metrics(1));
    const b = ob.enqueue(findings(2));
    const c = ob.enqueue(metrics(3));
    expect([a.seq, b.seq, c.seq]).toEqual([a.seq, a.seq + 1, a.seq + 2]);
    ob.ack(b.seq);
    expect(ob.pending().map((m) => m.seq)).toEqual([c.seq]);
  });

  it('recovers unacknowledged findings, the epoch and a higher sequence after a restart', () => {
    const d = dir();
    const ob = Outbox.open({ dir: d, maxMessages: 100, maxSpoolBytes: 1 << 20, log });
    const epoch = ob.epoch;
    const f1 = ob.enqueue(findings(1));
    ob.enqueue(metrics(2)); // not durable by design
    const f3 = ob.enqueue(findings(3));
    ob.ack(f1.seq);
    ob.close();
    const again = Outbox.open({ dir: d, maxMessages: 100, maxSpoolBytes: 1 << 20, log });
    expect(again.epoch).toBe(epoch);
    expect(again.pending().map((m) => m.seq)).toEqual([f3.seq]);
    expect(again.enqueue(metrics(4)).seq).toBeGreaterThan(f3.seq + 1);
  });

  it('after a crash replays every unacknowledged finding (acked ones at most again, for the collector to drop)', () => {
    const d = dir();
    const ob = Outbox.open({ dir: d, maxMessages: 100, maxSpoolBytes: 1 << 20, log });
    const f1 = ob.enqueue(findings(1));
    const f2 = ob.enqueue(findings(2));
    ob.ack(f1.seq);
    // no close(): the process died
    const again = Outbox.open({ dir: d, maxMessages: 100, maxSpoolBytes: 1 << 20, log });
    const seqs = again.pending().map((m) => m.seq);
    expect(seqs).toContain(f2.seq);
    expect(seqs.every((s) => s === f1.seq || s === f2.seq)).toBe(true);
  });

  it('never reuses a sequence number after a crash, even for messages that were not spooled', () => {
    const d = dir();
    const ob = Outbox.open({ dir: d, maxMessages: 5000, maxSpoolBytes: 1 << 20, log });
    let last = 0;
    for (let i = 0; i < 2500; i++) last = ob.enqueue(metrics(i)).seq;
    const again = Outbox.open({ dir: d, maxMessages: 100, maxSpoolBytes: 1 << 20, log });
    expect(again.enqueue(metrics(0)).seq).toBeGreaterThan(last);
  });

  it('drops metrics before findings when memory is full, and keeps overflowing findings on disk', () => {
    const ob = Outbox.open({ dir: dir(), maxMessages: 10, maxSpoolBytes: 1 << 20, log });
    const seqs: number[] = [];
    for (let i = 0; i < 5; i++) ob.enqueue(metrics(i));
    for (let i = 0; i < 25; i++) seqs.push(ob.enqueue(findings(i)).seq);
    const pend = ob.pending();
    expect(pend.every((m) => m.type === 'findings')).toBe(true);
    expect(pend.map((m) => m.seq)).toEqual(seqs);
    expect(ob.dropped).toBe(5);
  });

  it('keeps only the newest snapshot', () => {
    const ob = Outbox.open({ dir: dir(), maxMessages: 10, maxSpoolBytes: 1 << 20, log });
    const snap = (n: number): Unsequenced => ({
      v: 1,
      ts: n,
      type: 'snapshot',
      health: 'healthy',
      findings: [],
      probes: [],
    });
    ob.enqueue(snap(1));
    ob.enqueue(findings(2));
    const s3 = ob.enqueue(snap(3));
    expect(
      ob
        .pending()
        .filter((m) => m.type === 'snapshot')
        .map((m) => m.seq),
    ).toEqual([s3.seq]);
  });

  it('truncates the spool once everything in it is acknowledged', () => {
    const d = dir();
    const ob = Outbox.open({ dir: d, maxMessages: 100, maxSpoolBytes: 1 << 20, log });
    const f = ob.enqueue(findings(1));
    expect(statSync(join(d, 'findings.spool')).size).toBeGreaterThan(0);
    ob.ack(f.seq);
    expect(statSync(join(d, 'findings.spool')).size).toBe(0);
  });

  it('ignores a torn record at the end of the spool and keeps the ones before it', () => {
    const d = dir();
    const ob = Outbox.open({ dir: d, maxMessages: 100, maxSpoolBytes: 1 << 20, log });
    const f1 = ob.enqueue(findings(1));
    appendFileSync(join(d, 'findings.spool'), Buffer.from([0, 0, 0, 50, 1, 2, 3]));
    const again = Outbox.open({ dir: d, maxMessages: 100, maxSpoolBytes: 1 << 20, log });
    expect(again.pending().map((m) => m.seq)).toEqual([f1.seq]);
    // and the torn bytes are cut off, so new records are readable after a second restart
    const f2 = again.enqueue(findings(2));
    const third = Outbox.open({ dir: d, maxMessages: 100, maxSpoolBytes: 1 << 20, log });
    expect(third.pending().map((m) => m.seq)).toEqual([f1.seq, f2.seq]);
  });

  it('starts a new epoch when its meta file is unreadable', () => {
    const d = dir();
    const ob = Outbox.open({ dir: d, maxMessages: 100, maxSpoolBytes: 1 << 20, log });
    ob.close();
    const before = JSON.parse(readFileSync(join(d, 'meta.json'), 'utf8')).epoch;
    writeFileSync(join(d, 'meta.json'), '{garbage');
    expect(Outbox.open({ dir: d, maxMessages: 100, maxSpoolBytes: 1 << 20, log }).epoch).not.toBe(before);
  });

  it('moves past a sequence number the collector reports having seen', () => {
    const ob = Outbox.open({ dir: dir(), maxMessages: 100, maxSpoolBytes: 1 << 20, log });
    ob.ack(1_000_000);
    expect(ob.enqueue(metrics(1)).seq).toBe(1_000_001);
  });
});
