/** The ingest server over a real unix socket and real UDP: validation, caps, never blocking. */
import { createSocket } from 'node:dgram';
import { rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { silentLogger } from '../../core/logger.ts';
import { tempDir, waitFor } from '../../test/helpers/processes.ts';
import { IngestServer, parseReportLine } from './ingest-server.ts';
import type { TrainingSample } from './types.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(opts: { maxLineBytes?: number; maxConnections?: number; udp?: boolean; tcp?: boolean } = {}) {
  const dir = tempDir('keelson-ingest-');
  const got: TrainingSample[] = [];
  const s = new IngestServer({
    socketPath: join(dir, 'train.sock'),
    ...(opts.udp ? { udpPort: 0 } : {}),
    ...(opts.tcp ? { tcpPort: 0 } : {}),
    ...(opts.maxLineBytes ? { maxLineBytes: opts.maxLineBytes } : {}),
    ...(opts.maxConnections ? { maxConnections: opts.maxConnections } : {}),
    clock: new ManualClock(1234),
    log: silentLogger(),
    onSample: (x) => got.push(x),
  });
  await s.start();
  cleanups.push(async () => {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { s, got, path: join(dir, 'train.sock') };
}

function client(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const c = connect(path, () => resolve(c));
    c.once('error', reject);
    cleanups.push(() => void c.destroy());
  });
}

describe('parseReportLine', () => {
  it('accepts a full report, strips unknown keys, maps "nan" and bare NaN to NaN', () => {
    expect(parseReportLine('{"job":"a","rank":1,"step":5,"loss":1.5,"phase":"eval","extra":1}')).toEqual({
      job: 'a',
      rank: 1,
      step: 5,
      loss: 1.5,
      phase: 'eval',
    });
    expect(parseReportLine('{"job":"a","rank":0,"step":1,"loss":"nan"}')?.loss).toBeNaN();
    expect(parseReportLine('{"job":"a","rank":0,"step":1,"loss":NaN}')?.loss).toBeNaN();
    expect(parseReportLine('{"job":"a","rank":0,"step":1,"loss":-Infinity}')?.loss).toBe(Number.NEGATIVE_INFINITY);
  });

  it.each([
    'not json',
    '{"job":"a","step":1}',
    '{"job":"","rank":0,"step":1}',
    '{"job":"a","rank":-1,"step":1}',
    '{"job":"a","rank":0,"step":1.5}',
    '{"job":"a","rank":0,"step":1,"phase":"lunch"}',
    '[1,2]',
  ])('rejects %s', (l) => {
    expect(parseReportLine(l)).toBeUndefined();
  });
});

describe('IngestServer', () => {
  it('takes newline-delimited JSON across chunk boundaries; counts and drops bad lines', async () => {
    const { s, got, path } = await server();
    const c = await client(path);
    c.write('{"job":"j","rank":0,"st');
    c.write('ep":1,"loss":2.5}\n{garbage}\n{"job":"j","rank":1,"step":1}\r\n');
    await waitFor(() => got.length === 2, 2000);
    expect(got[0]).toMatchObject({ job: 'j', rank: 0, step: 1, loss: 2.5, receivedAt: 1234, source: 'socket' });
    expect(s.stats).toMatchObject({ accepted: 2, malformed: 1 });
  });

  it('drops an over-long line whole and goes on with the next', async () => {
    const { s, got, path } = await server({ maxLineBytes: 200 });
    const c = await client(path);
    c.write(`{"job":"${'x'.repeat(5000)}","rank":0,"step":1}\n{"job":"j","rank":0,"step":2}\n`);
    await waitFor(() => got.length === 1, 2000);
    expect(got[0]?.step).toBe(2);
    expect(s.stats.overlong).toBe(1);
  });

  it('caps connections: the extra one is closed, the others keep working', async () => {
    const { s, got, path } = await server({ maxConnections: 2 });
    const a = await client(path);
    await client(path);
    await waitFor(() => s.stats.connections === 2, 2000);
    const third = await client(path);
    await new Promise<void>((r) => third.once('close', () => r()));
    expect(s.stats.refusedConnections).toBe(1);
    a.write('{"job":"j","rank":0,"step":3}\n');
    await waitFor(() => got.length === 1, 2000);
  });

  it('the same NDJSON over localhost TCP', async () => {
    const { s, got } = await server({ tcp: true });
    expect(s.tcpPort).toBeGreaterThan(0);
    const c = await new Promise<Socket>((resolve, reject) => {
      const sock = connect(s.tcpPort ?? 0, '127.0.0.1', () => resolve(sock));
      sock.on('error', reject);
    });
    cleanups.push(() => void c.destroy());
    c.write('{"job":"t","rank":1,"step":9,"loss":2.5}\nnot json\n');
    await waitFor(() => got.length === 1 && s.stats.malformed === 1, 2000);
    expect(got[0]).toMatchObject({ job: 't', rank: 1, step: 9, loss: 2.5 });
  });

  it('UDP datagrams on localhost', async () => {
    const { s, got } = await server({ udp: true });
    const u = createSocket('udp4');
    cleanups.push(() => void u.close());
    u.send('{"job":"u","rank":2,"step":7,"tokens":1024}', s.udpPort ?? 0, '127.0.0.1');
    u.send('nope', s.udpPort ?? 0, '127.0.0.1');
    await waitFor(() => got.length === 1 && s.stats.malformed === 1, 2000);
    expect(got[0]).toMatchObject({ job: 'u', rank: 2, step: 7, tokens: 1024, source: 'udp' });
  });

  it('a client that never reads is never written to (no back-pressure on the rank)', async () => {
    const { got, path } = await server();
    const c = await client(path);
    c.pause();
    for (let i = 0; i < 2000; i++) c.write(`{"job":"j","rank":0,"step":${i}}\n`);
    await waitFor(() => got.length === 2000, 5000);
  });
});
