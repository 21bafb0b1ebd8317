/**
 * Peer replication over a TCP (or unix) stream of checksummed frames (peer-frames.ts). The
 * sender pushes a rank's newest in-memory slot to its buddy; the receiver keeps the newest
 * replica per (node, job, rank) in its own shm, verifying every shard's CRC-32 before it
 * publishes (temp + rename), within a memory budget, and serves it back on `get` for a restore.
 *   put:  {op:'put', node, job, rank, step, world, bytes, shards}  bytes…  {op:'end'}  → {op:'ack'}
 *   get:  {op:'get', node, job, rank}  → {op:'have', …}  bytes…  {op:'end'}  (or {op:'none'})
 */
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../checkpoint-lib/atomic-file.ts';
import type { DurableReport } from '../../checkpoint-lib/commit.ts';
import { parseJsonAs, rankDirName, summedShardSchema } from '../../checkpoint-lib/format.ts';
import { describeError, KeelsonError } from '../../core/errors.ts';
import { type Logger, moduleLogger, silentLogger } from '../../core/logger.ts';
import { type ByteSink, openFileSink } from './byte-io.ts';
import { ShardSummer } from './copy-rank.ts';
import { encodeFrame, FRAME_BYTES, FRAME_JSON, type Frame, FrameDecoder } from './peer-frames.ts';

const CHUNK = 4 << 20;

const replicaHeadSchema = z.object({
  node: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/),
  job: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/),
  rank: z.number().int().nonnegative(),
  step: z.number().int().nonnegative(),
  world: z.number().int().positive(),
  bytes: z.number().int().nonnegative(),
  shards: z.array(summedShardSchema),
});
export type ReplicaHead = z.infer<typeof replicaHeadSchema>;

/** Where a peer is: TCP host/port or a unix socket path. */
export type PeerAddress = { host: string; port: number } | { path: string };

function connect(addr: PeerAddress): Socket {
  return 'path' in addr ? createConnection(addr.path) : createConnection(addr.port, addr.host);
}

function send(sock: Socket, f: Frame): boolean {
  let ok = true;
  for (const b of encodeFrame(f)) ok = sock.write(b) && ok;
  return ok;
}

/** Read frames from a socket one at a time. */
class FrameReader {
  private readonly queue: Frame[] = [];
  private waiter: { resolve: (f: Frame) => void; reject: (e: Error) => void } | undefined;
  private failed: Error | undefined;
  private readonly dec = new FrameDecoder();

  constructor(sock: Socket) {
    sock.on('data', (chunk: Buffer) => {
      try {
        for (const f of this.dec.push(chunk)) this.queue.push(f);
      } catch (err) {
        this.fail(err as Error);
        sock.destroy();
      }
      this.pump();
    });
    sock.on('error', (err) => this.fail(err));
    sock.on('close', () => this.fail(new KeelsonError('CKPT_PEER', 'peer closed the connection')));
  }

  private fail(err: Error): void {
    this.failed ??= err;
    this.pump();
  }

  private pump(): void {
    if (!this.waiter) return;
    const f = this.queue.shift();
    if (f) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve(f);
    } else if (this.failed) {
      const w = this.waiter;
      this.waiter = undefined;
      w.reject(this.failed);
    }
  }

  next(): Promise<Frame> {
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.pump();
    });
  }
}

function json(f: Frame): Record<string, unknown> {
  if (f.kind !== FRAME_JSON || typeof f.json !== 'object' || f.json === null)
    throw new KeelsonError('CKPT_PEER', 'expected a control frame');
  return f.json as Record<string, unknown>;
}

/** Stream `head.bytes` bytes of a file as frames, then `end`. */
async function sendFile(sock: Socket, path: string, bytes: number): Promise<void> {
  if (bytes > 0) {
    const rs = createReadStream(path, { start: 0, end: bytes - 1, highWaterMark: CHUNK });
    for await (const chunk of rs) {
      if (!send(sock, { kind: FRAME_BYTES, bytes: chunk as Buffer })) await new Promise((r) => sock.once('drain', r));
    }
  }
  send(sock, { kind: FRAME_JSON, json: { op: 'end' } });
}

/** Receive data frames into a sink, verifying shard checksums; returns after `end`. */
async function receiveInto(reader: FrameReader, head: ReplicaHead, sink: ByteSink): Promise<void> {
  const summer = new ShardSummer(head.shards);
  let at = 0;
  try {
    for (;;) {
      const f = await reader.next();
      if (f.kind === FRAME_BYTES) {
        if (at + f.bytes.byteLength > head.bytes) throw new KeelsonError('CKPT_PEER', 'replica longer than announced');
        summer.update(f.bytes, at);
        await sink.write(f.bytes);
        at += f.bytes.byteLength;
        continue;
      }
      if (json(f).op !== 'end') throw new KeelsonError('CKPT_PEER', 'expected end');
      break;
    }
    if (at !== head.bytes) throw new KeelsonError('CKPT_PEER', `replica has ${at} of ${head.bytes} bytes`);
    const bad = head.shards.findIndex((s, i) => summer.sums[i] !== s.crc32);
    if (bad >= 0) throw new KeelsonError('CKPT_CHECKSUM', `replica shard ${head.shards[bad]?.name} checksum mismatch`);
    await sink.publish();
  } catch (err) {
    await sink.abort();
    throw err;
  }
}

export interface PeerReceiverOptions {
  /** Where replicas live (e.g. /dev/shm/keelson/.peers). */
  root: string;
  /** Most bytes of replicas held (0 = unlimited). */
  budgetBytes?: number;
  logger?: Logger;
}

/** Holds buddies' replicas and serves them back. */
export class PeerReceiver {
  private server: Server | undefined;
  private readonly log: Logger;

  constructor(private readonly o: PeerReceiverOptions) {
    this.log = moduleLogger(o.logger ?? silentLogger(), 'ckpt-peer');
  }

  /** Listen on TCP (port 0 = any) or a unix path; resolves with the address. */
  listen(addr: PeerAddress): Promise<PeerAddress> {
    const server = createServer((sock) => void this.serve(sock));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      const done = () => {
        const a = server.address();
        resolve(typeof a === 'string' ? { path: a } : { host: a?.address ?? '127.0.0.1', port: a?.port ?? 0 });
      };
      if ('path' in addr) server.listen(addr.path, done);
      else server.listen(addr.port, addr.host, done);
    });
  }

  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private dir(node: string, job: string, rank: number): string {
    return join(this.o.root, node, job, rankDirName(rank));
  }

  /** Replicas held: one per (node, job, rank). */
  async list(): Promise<ReplicaHead[]> {
    const out: ReplicaHead[] = [];
    const names = async (d: string) => readdir(d).catch(() => [] as string[]);
    for (const node of await names(this.o.root))
      for (const job of await names(join(this.o.root, node)))
        for (const r of await names(join(this.o.root, node, job))) {
          const h = await this.head(join(this.o.root, node, job, r));
          if (h) out.push(h);
        }
    return out;
  }

  private async head(dir: string): Promise<ReplicaHead | undefined> {
    try {
      return parseJsonAs(replicaHeadSchema, await readFile(join(dir, 'HEAD'), 'utf8'));
    } catch {
      return undefined;
    }
  }

  private async serve(sock: Socket): Promise<void> {
    const reader = new FrameReader(sock);
    try {
      const first = json(await reader.next());
      if (first.op === 'put') await this.put(sock, reader, replicaHeadSchema.parse(first));
      else if (first.op === 'get') await this.get(sock, first);
      else throw new KeelsonError('CKPT_PEER', `unknown op ${String(first.op)}`);
      sock.end();
    } catch (err) {
      this.log.warn({ err: describeError(err) }, 'peer request failed');
      if (!sock.destroyed) {
        send(sock, { kind: FRAME_JSON, json: { op: 'ack', ok: false, reason: describeError(err) } });
        sock.end();
      }
    }
  }

  private async put(sock: Socket, reader: FrameReader, head: ReplicaHead): Promise<void> {
    const dir = this.dir(head.node, head.job, head.rank);
    const old = await this.head(dir);
    if (this.o.budgetBytes) {
      const held = (await this.list()).reduce((a, h) => a + h.bytes, 0) - (old?.bytes ?? 0);
      if (held + head.bytes > this.o.budgetBytes)
        throw new KeelsonError('CKPT_PEER', `replica of ${head.bytes} bytes exceeds the peer memory budget`);
    }
    await mkdir(dir, { recursive: true });
    // The new data goes to a temp name; HEAD is replaced last, so HEAD always describes DATA.
    const next = join(dir, 'data.next');
    await receiveInto(reader, head, await openFileSink(next));
    await rm(join(dir, 'HEAD'), { force: true });
    await rename(next, join(dir, 'data'));
    await writeFileAtomic(join(dir, 'HEAD'), JSON.stringify(head));
    send(sock, { kind: FRAME_JSON, json: { op: 'ack', ok: true, step: head.step } });
  }

  private async get(sock: Socket, req: Record<string, unknown>): Promise<void> {
    const q = z.object({ node: z.string(), job: z.string(), rank: z.number() }).parse(req);
    const dir = this.dir(q.node, q.job, q.rank);
    const head = await this.head(dir);
    const size = await stat(join(dir, 'data'))
      .then((s) => s.size)
      .catch(() => -1);
    if (!head || size < head.bytes) {
      send(sock, { kind: FRAME_JSON, json: { op: 'none' } });
      return;
    }
    send(sock, { kind: FRAME_JSON, json: { op: 'have', ...head } });
    await sendFile(sock, join(dir, 'data'), head.bytes);
  }
}

/** Push a replica to a buddy; resolves on its ack, rejects with CKPT_PEER otherwise. */
export async function sendReplica(
  addr: PeerAddress,
  head: ReplicaHead,
  dataPath: string,
  timeoutMs = 60_000,
): Promise<void> {
  const sock = connect(addr);
  const reader = new FrameReader(sock);
  const timer = setTimeout(() => sock.destroy(new KeelsonError('CKPT_PEER', 'peer did not answer in time')), timeoutMs);
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    send(sock, { kind: FRAME_JSON, json: { op: 'put', ...head } });
    await sendFile(sock, dataPath, head.bytes);
    const ack = json(await reader.next());
    if (ack.op !== 'ack' || ack.ok !== true)
      throw new KeelsonError('CKPT_PEER', `peer refused the replica: ${String(ack.reason)}`);
  } catch (err) {
    throw err instanceof KeelsonError ? err : new KeelsonError('CKPT_PEER', describeError(err), { cause: err });
  } finally {
    clearTimeout(timer);
    sock.destroy();
  }
}

/** Fetch this node's replica back from a buddy (for restore); undefined when it has none. */
export async function fetchReplica(
  addr: PeerAddress,
  q: { node: string; job: string; rank: number },
): Promise<{ head: ReplicaHead; data: Buffer } | undefined> {
  const sock = connect(addr);
  const reader = new FrameReader(sock);
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    send(sock, { kind: FRAME_JSON, json: { op: 'get', ...q } });
    const first = json(await reader.next());
    if (first.op !== 'have') return undefined;
    const head = replicaHeadSchema.parse(first);
    const data = Buffer.allocUnsafe(head.bytes);
    let at = 0;
    await receiveInto(reader, head, {
      write: async (b) => {
        data.set(b, at);
        at += b.byteLength;
      },
      publish: async () => {},
      abort: async () => {},
    });
    return { head, data };
  } catch (err) {
    throw err instanceof KeelsonError ? err : new KeelsonError('CKPT_PEER', describeError(err), { cause: err });
  } finally {
    sock.destroy();
  }
}

/** The report a sender makes once its buddy acknowledged: this rank is held in a peer's memory. */
export function peerReport(node: string, head: ReplicaHead): DurableReport {
  return {
    job: head.job,
    step: head.step,
    node,
    tier: 'peer',
    world: head.world,
    ranks: [{ rank: head.rank, file: `peer:${rankDirName(head.rank)}`, bytes: head.bytes, shards: head.shards }],
  };
}
