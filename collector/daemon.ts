/**
 * The collector daemon: one HTTP(S) port for the REST API, /metrics and the agents'
 * WebSocket (authenticated on the upgrade), the fleet state, its store, and the timer that
 * notices lost nodes. A thin shell over Fleet, AgentSession and the API routes.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { DurableReport } from '../checkpoint-lib/commit.ts';
import type { Clock } from '../core/clock.ts';
import { isKeelsonError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { moduleLogger } from '../core/logger.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';
import { ApplyBatcher } from './apply-batcher.ts';
import { TokenSet } from './auth.ts';
import { GlobalCommitter } from './checkpoint/commit.ts';
import { CommandDispatcher } from './commands.ts';
import type { CollectorConfig } from './config.ts';
import { createDashboard, type Dashboard } from './dashboard/dashboard.ts';
import { Fleet, type FleetFindingEvent } from './fleet.ts';
import { handleApi } from './http-api.ts';
import { registerIncidentMetrics } from './incidents/metrics.ts';
import { handleIncidentsApi } from './incidents/routes.ts';
import { IncidentService } from './incidents/service.ts';
import { createIsolationEngine } from './isolation/config.ts';
import type { IsolationEngine } from './isolation/engine.ts';
import { handleIsolationApi } from './isolation/routes.ts';
import { isolationMark } from './isolation/views.ts';
import { CollectorMetrics } from './metrics.ts';
import { AgentTestRunner } from './nettest/agent-runner.ts';
import { handleNetTestApi } from './nettest/routes.ts';
import { NetTestService } from './nettest/service.ts';
import { SqliteCampaignStore } from './nettest/sqlite-store.ts';
import { AgentSession } from './session.ts';
import { Store } from './store.ts';

/** The path agents connect to. */
export const AGENT_WS_PATH = '/ws/agent';

export interface CollectorDeps {
  config: CollectorConfig;
  log: Logger;
  clock: Clock;
}

export class CollectorDaemon {
  readonly store: Store;
  readonly fleet: Fleet;
  private readonly metrics: CollectorMetrics;
  private readonly log: Logger;
  private readonly tokens: TokenSet;
  /** Tokens that may take operator actions (isolate, release, approve). */
  readonly operatorTokens: TokenSet;
  private readonly wss: WebSocketServer;
  private readonly sessions = new Map<string, AgentSession>();
  private readonly anonymous = new Set<AgentSession>();
  private server?: Server;
  private tickTimer?: NodeJS.Timeout;
  private isolationTimer?: NodeJS.Timeout;
  /** Turns findings into isolations, bounded by its breaker. */
  readonly isolation: IsolationEngine;
  private readonly dashboard: Dashboard;
  /** Group commit of agent messages. */
  private readonly batcher: ApplyBatcher;
  /** Commands to agents (run a probe now). */
  readonly commands: CommandDispatcher;
  /** Network-test campaigns. */
  private readonly netTests: NetTestService;
  private readonly campaigns: SqliteCampaignStore;
  /** Incidents and the stability figures (MTBF, MTTD, MTTI, MTTR, goodput). */
  readonly incidents: IncidentService;

  constructor(private readonly d: CollectorDeps) {
    const c = d.config;
    this.log = moduleLogger(d.log, 'collector');
    this.store = new Store(join(c.dataDir, 'keelson.db'));
    this.fleet = new Fleet(this.store, moduleLogger(d.log, 'fleet'), {
      training: {
        straggler: c.training.straggler,
        ...(c.training.silentMs !== undefined ? { attribution: { silentMs: c.training.silentMs } } : {}),
      },
    });
    this.metrics = new CollectorMetrics(this.fleet);
    this.batcher = new ApplyBatcher(this.store, this.fleet, moduleLogger(d.log, 'apply'));
    this.commands = new CommandDispatcher(this.fleet, (node) => this.sessions.get(node), d.clock);
    this.campaigns = new SqliteCampaignStore(this.store.database());
    this.netTests = new NetTestService({
      runner: new AgentTestRunner(this.commands, (node) => this.sessions.has(node)),
      store: this.campaigns,
      clock: d.clock,
      log: moduleLogger(d.log, 'nettest'),
      busyNodes: (nodes) => this.fleet.busyNodes(nodes, d.clock.now()),
      raise: (node, f) => this.fleet.raiseCollectorFinding(node, f, d.clock.now()),
      clear: (node, code) => this.fleet.clearCollectorFindingOf(node, code, 'net', d.clock.now()),
    });
    this.tokens = new TokenSet([...c.tokens, ...readTokenFile(c.tokenFile)]);
    this.operatorTokens = new TokenSet([...c.operatorTokens, ...readTokenFile(c.operatorTokenFile)]);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: c.maxPayloadBytes, perMessageDeflate: false });
    this.isolation = createIsolationEngine(c.isolation, {
      db: this.store.database(),
      dataDir: c.dataDir,
      registry: this.metrics.registry,
      log: d.log,
      fleetSize: () => this.fleet.size,
      // The job it reports training for; the `job` label for nodes whose trainers do not report.
      jobOfNode: (node) =>
        this.fleet.trainingJobOf(node, d.clock.now()) ?? this.fleet.nodeDetail(node)?.node.labels.job,
      agentRestart: this.commands,
      clock: d.clock,
    });
    // Before the isolation engine's listener: an isolation finds the incident its finding opened.
    this.incidents = new IncidentService(this.store.database(), d.clock, moduleLogger(d.log, 'incidents'), () =>
      this.fleet.earliestFirstSeen(),
    );
    this.incidents.attach(this.fleet, this.isolation);
    registerIncidentMetrics(
      this.metrics.registry,
      () => this.incidents.rolling(),
      () => d.clock.now(),
    );
    const now = d.clock.now();
    for (const n of this.fleet.listNodes()) this.isolation.seed(n.id, this.fleet.nodeDetail(n.id)?.findings ?? [], now);
    this.fleet.on('finding', (e: FleetFindingEvent) => {
      void this.isolation.onFindingChange(e.node, { change: e.change, finding: e.finding }, e.at);
    });
    if (c.checkpoint.pfsDir) this.startCheckpointCommits(c.checkpoint.pfsDir);
    this.dashboard = createDashboard({
      fleet: this.fleet,
      log: d.log,
      authorize: (h) => this.operatorTokens.acceptsHeader(h),
      isolationOf: (id) => isolationMark(this.isolation, id),
    });
    // Any audit entry may change a node's isolation mark: redraw its tile.
    this.isolation.on('audit', (e: { node?: string }) => {
      if (e.node) this.dashboard.notify(e.node);
    });
  }

  /** The port actually bound (useful with port 0). */
  get port(): number {
    const addr = this.server?.address() as AddressInfo | null | undefined;
    return addr?.port ?? this.d.config.port;
  }

  get url(): string {
    const scheme = this.d.config.tls ? 'https' : 'http';
    const host = this.d.config.host.includes(':') ? `[${this.d.config.host}]` : this.d.config.host;
    return `${scheme}://${host}:${this.port}`;
  }

  async start(): Promise<void> {
    const c = this.d.config;
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.onRequest(req, res);
    this.server = c.tls
      ? createHttpsServer({ cert: readFileSync(c.tls.certFile), key: readFileSync(c.tls.keyFile) }, handler)
      : createHttpServer(handler);
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      // A deep backlog: thousands of agents reconnect at once after a collector restart.
      this.server!.listen({ port: c.port, host: c.host, backlog: 8192 }, () => resolve());
    });
    this.tickTimer = setInterval(
      () => {
        try {
          this.fleet.tick(this.d.clock.now(), c.lostAfterMs);
        } catch (err) {
          this.log.error({ err }, 'lost-node check failed');
        }
      },
      Math.min(1000, c.lostAfterMs / 2),
    );
    this.tickTimer.unref();
    this.isolationTimer = setInterval(() => void this.isolation.tick(this.d.clock.now()), 5000);
    this.isolationTimer.unref();
    this.log.info({ url: this.url, tls: Boolean(c.tls), auth: !c.insecureNoAuth }, 'collector listening');
  }

  async stop(): Promise<void> {
    clearInterval(this.tickTimer);
    clearInterval(this.isolationTimer);
    await this.isolation.idle();
    this.dashboard.close();
    for (const ws of this.wss.clients) ws.close(1001, 'collector stopping');
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        for (const ws of this.wss.clients) ws.terminate();
        resolve();
      }, 1000);
      const check = () => {
        if (this.wss.clients.size === 0) {
          clearTimeout(t);
          resolve();
        } else setTimeout(check, 20);
      };
      check();
    });
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    this.wss.close();
    this.batcher.flush();
    this.incidents.close();
    this.metrics.close();
    this.store.close();
    this.log.info('collector stopped');
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (await this.dashboard.handle(req, res)) return;
      if (await this.handleCommandRoute(req, res)) return;
      if (
        await handleIncidentsApi(req, res, {
          store: this.incidents.store,
          stats: (since, now) => this.incidents.stats(since, now),
          now: () => this.d.clock.now(),
        })
      )
        return;
      if (
        await handleNetTestApi(req, res, {
          service: this.netTests,
          store: this.campaigns,
          authorized: (h) => this.operatorTokens.acceptsHeader(h),
          onlineNodes: () => [...this.sessions.keys()],
        })
      )
        return;
      const handled =
        (await handleIsolationApi(req, res, {
          engine: this.isolation,
          tokens: this.operatorTokens,
          fleetNodes: () => this.fleet.listNodes(),
        })) ||
        (await handleApi(req, res, {
          fleet: this.fleet,
          store: this.store,
          metrics: this.metrics,
          isolation: this.isolation,
          now: this.d.clock.now(),
        }));
      if (!handled) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: `no route ${req.url}` } }));
      }
    } catch (err) {
      this.log.error({ err, url: req.url }, 'request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error' } }));
    }
  }

  /** Commit checkpoint steps once every rank is durable, and tell the job's agents. */
  private startCheckpointCommits(pfsDir: string): void {
    const committer = new GlobalCommitter(pfsDir, this.d.clock);
    const log = moduleLogger(this.d.log, 'ckpt-commit');
    let chain: Promise<void> = Promise.resolve();
    this.fleet.on('ckpt-durable', (e: { node: string; report: DurableReport }) => {
      chain = chain
        .then(async () => {
          const manifest = await committer.report(e.report);
          if (!manifest) return;
          log.info({ job: manifest.job, step: manifest.step, tiers: manifest.tiers }, 'checkpoint committed');
          for (const node of new Set(manifest.ranks.map((r) => r.node))) {
            this.sessions
              .get(node)
              ?.send({ v: PROTOCOL_VERSION, ts: this.d.clock.now(), type: 'ckpt-committed', manifest });
          }
        })
        .catch((err) => log.error({ err, job: e.report.job, step: e.report.step }, 'checkpoint commit failed'));
    });
  }

  /** `POST /api/nodes/:id/probes/:probe/run` (operator token): run a probe on that node now. */
  private async handleCommandRoute(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const m = /^\/api\/nodes\/([^/]+)\/probes\/([^/]+)\/run$/.exec((req.url ?? '').split('?')[0] ?? '');
    if (!m) return false;
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST') {
      reply(405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'use POST' } });
      return true;
    }
    if (!this.operatorTokens.acceptsHeader(req.headers.authorization)) {
      reply(401, { error: { code: 'AUTH_FAILED', message: 'a valid operator token is required' } });
      return true;
    }
    try {
      const r = await this.commands.run(decodeURIComponent(m[1]!), 'probe.run', { probe: decodeURIComponent(m[2]!) });
      reply(r.ok ? 200 : 502, r);
    } catch (err) {
      const code = isKeelsonError(err) ? err.code : 'INTERNAL';
      reply(code === 'NOT_FOUND' ? 404 : code === 'PEER_TIMEOUT' ? 504 : 500, {
        error: { code, message: (err as Error).message },
      });
    }
    return true;
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    if (this.dashboard.handleUpgrade(req, socket, head)) return;
    const path = (req.url ?? '').split('?')[0];
    if (path !== AGENT_WS_PATH) {
      refuse(socket, 404, 'NOT_FOUND', `no WebSocket endpoint at ${path}`);
      return;
    }
    if (!this.d.config.insecureNoAuth && !this.tokens.acceptsHeader(req.headers.authorization)) {
      this.metrics.rejected.inc({ code: 'AUTH_FAILED' });
      this.log.warn({ remote: req.socket.remoteAddress }, 'agent connection refused: bad or missing token');
      refuse(socket, 401, 'AUTH_FAILED', 'missing or invalid bearer token');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const c = this.d.config;
      const session: AgentSession = new AgentSession(
        ws,
        {
          maxPayloadBytes: c.maxPayloadBytes,
          heartbeatMs: c.heartbeatMs,
          deadPeerMs: c.deadPeerMs,
          helloTimeoutMs: c.helloTimeoutMs,
          capabilities: c.checkpoint.pfsDir ? ['ckpt-commit'] : [],
        },
        this.fleet,
        this.batcher,
        this.metrics,
        this.d.clock,
        moduleLogger(this.d.log, 'session'),
        (s) => {
          this.anonymous.delete(s);
          const old = this.sessions.get(s.nodeId!);
          this.sessions.set(s.nodeId!, s);
          if (old && old !== s) old.supersede();
          this.metrics.sessions.set(this.sessions.size);
        },
        (s, code) => {
          this.anonymous.delete(s);
          if (s.nodeId && this.sessions.get(s.nodeId) === s) {
            this.sessions.delete(s.nodeId);
            this.fleet.disconnected(s.nodeId, code === 1000, this.d.clock.now());
          }
          this.metrics.sessions.set(this.sessions.size);
        },
      );
      this.anonymous.add(session);
      this.metrics.sessions.set(this.sessions.size);
    });
  }
}

/** One token per line; none when no file is configured. */
function readTokenFile(path: string | undefined): string[] {
  if (!path) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  const reason = status === 401 ? 'Unauthorized' : 'Not Found';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nX-Keelson-Error: ${code}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
