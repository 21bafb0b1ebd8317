/**
 * Where ranks report: a unix STREAM socket of newline-delimited JSON, and optionally localhost
 * UDP datagrams of one JSON object each. Every record is validated (rankReportSchema); bad
 * lines are counted and dropped, lines are capped in length, connections in number, and
 * nothing is ever written back, so a rank can never be blocked by the agent.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import { LineFramer } from './line-framer.ts';
import { rankReportSchema, type SampleSource, type TrainingSample } from './types.ts';

export interface IngestServerOptions {
  /** Unix socket path, e.g. `<stateDir>/train.sock`. */
  socketPath?: string;
  /** Localhost UDP port for datagrams (0 = any free port). */
  udpPort?: number;
  /** Localhost TCP port for the same newline-delimited JSON as the unix socket (0 = any free port). */
  tcpPort?: number;
  udpHost?: string;
  /** Longest accepted line or datagram, bytes. */
  maxLineBytes?: number;
  /** Most concurrent socket connections; more are closed at once. */
  maxConnections?: number;
  clock: Clock;
  log: Logger;
  onSample: (s: TrainingSample) => void;
}

/** Counters for /metrics and the jobs view. */
export interface IngestStats {
  accepted: number;
  malformed: number;
  overlong: number;
  refusedConnections: number;
  connections: number;
}

const NON_FINITE_RE = /(:\s*)(-?Infinity|NaN)(\s*[,}])/g;

/** Parse and validate one line; undefined when malformed. Bare NaN/Infinity (Python's json) are accepted. */
export function parseReportLine(line: string): ReturnType<typeof rankReportSchema.parse> | undefined {
  const t = line.trim();
  if (t === '') return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(t);
  } catch {
    try {
      raw = JSON.parse(t.replace(NON_FINITE_RE, '$1"$2"$3'));
    } catch {
      return undefined;
    }
  }
  const r = rankReportSchema.safeParse(raw);
  return r.success ? r.data : undefined;
}

export class IngestServer {
  private server: Server | undefined;
  private udp: UdpSocket | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly maxLine: number;
  private readonly maxConn: number;
  readonly stats: IngestStats = { accepted: 0, malformed: 0, overlong: 0, refusedConnections: 0, connections: 0 };
  /** The UDP port actually bound. */
  udpPort: number | undefined;
  /** The TCP port actually bound. */
  tcpPort: number | undefined;
  private tcp: Server | undefined;

  constructor(private readonly o: IngestServerOptions) {
    this.maxLine = o.maxLineBytes ?? 16 * 1024;
    this.maxConn = o.maxConnections ?? 1024;
  }

  async start(): Promise<void> {
    if (this.o.socketPath) await this.listenUnix(this.o.socketPath);
    if (this.o.udpPort !== undefined) await this.listenUdp(this.o.udpPort, this.o.udpHost ?? '127.0.0.1');
    if (this.o.tcpPort !== undefined) await this.listenTcp(this.o.tcpPort);
  }

  /** Localhost only: ranks on this node report here when a unix socket cannot be shared (containers). */
  private async listenTcp(port: number): Promise<void> {
    const server = createServer({ allowHalfOpen: false }, (sock) => this.accept(sock));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.o.log.warn({ err }, 'training TCP port error'));
    this.tcpPort = (server.address() as { port: number }).port;
    this.tcp = server;
  }

  private async listenUnix(path: string): Promise<void> {
    mkdirSync(dirname(path), { recursive: true });
    try {
      if (lstatSync(path).isSocket()) unlinkSync(path);
    } catch {
      // absent: nothing to clean up
    }
    const server = createServer({ allowHalfOpen: false }, (sock) => this.accept(sock));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.o.log.warn({ err }, 'training socket error'));
    // Ranks may run as other users in the same group.
    chmodSync(path, 0o666);
    this.server = server;
  }

  private accept(sock: Socket): void {
    if (this.sockets.size >= this.maxConn) {
      this.stats.refusedConnections += 1;
      sock.destroy();
      return;
    }
    this.sockets.add(sock);
    this.stats.connections = this.sockets.size;
    const framer = new LineFramer(this.maxLine);
    sock.on('data', (chunk) => {
      const before = framer.overlong;
      for (const line of framer.push(chunk)) this.take(line, 'socket');
      this.stats.overlong += framer.overlong - before;
    });
    const done = () => {
      for (const line of framer.flush()) this.take(line, 'socket');
      this.sockets.delete(sock);
      this.stats.connections = this.sockets.size;
    };
    sock.on('error', () => sock.destroy());
    sock.on('close', done);
  }

  private async listenUdp(port: number, host: string): Promise<void> {
    const udp = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    udp.on('error', (err) => this.o.log.warn({ err }, 'training udp error'));
    udp.on('message', (msg) => {
      if (msg.length > this.maxLine) {
        this.stats.overlong += 1;
        return;
      }
      for (const line of msg.toString('utf8').split('\n')) if (line.trim() !== '') this.take(line, 'udp');
    });
    this.udpPort = udp.address().port;
    this.udp = udp;
  }

  private take(line: string, source: SampleSource): void {
    const r = parseReportLine(line);
    if (!r) {
      if (line.trim() !== '') this.stats.malformed += 1;
      return;
    }
    this.stats.accepted += 1;
    try {
      this.o.onSample({ ...r, receivedAt: this.o.clock.now(), source });
    } catch (err) {
      this.o.log.warn({ err }, 'training sample handler failed');
    }
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const tcp = this.tcp;
    this.tcp = undefined;
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (this.o.socketPath) {
      try {
        unlinkSync(this.o.socketPath);
      } catch {
        // already gone
      }
    }
    const udp = this.udp;
    this.udp = undefined;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
  }
}
