/**
 * The collector dashboard's HTTP side, as one object the daemon wires in: static pages at `/`
 * and `/ui/…` (content types, ETags, gzip, a strict CSP), the browsers' live feed at
 * WebSocket `/ws/ui`, and `/ui/auth-check` so the page can tell an operator whether the token
 * they typed is accepted. The views read the REST API; actions are POSTs that carry the
 * operator token as `Authorization: Bearer`, checked by the routes that perform them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Finding } from '../../core/finding.ts';
import type { Logger } from '../../core/logger.ts';
import { moduleLogger } from '../../core/logger.ts';
import type { NodeView } from '../fleet.ts';
import { UiLiveHub } from './live-hub.ts';
import { type Asset, assetKeyOf, defaultStaticDir, loadAssets } from './static-assets.ts';
import { type IsolationMark, tileOf } from './tiles.ts';

/** The WebSocket path browsers connect to. */
export const UI_WS_PATH = '/ws/ui';

/** What the dashboard needs from the fleet (collector/fleet.ts Fleet satisfies it). */
export interface DashboardFleet {
  on(event: 'change', fn: (e: { node: string }) => void): unknown;
  off(event: 'change', fn: (e: { node: string }) => void): unknown;
  listNodes(): NodeView[];
  nodeDetail(id: string): { node: NodeView; findings: Finding[] } | undefined;
}

export interface DashboardDeps {
  fleet: DashboardFleet;
  log: Logger;
  /** Live-update batch window (default 250 ms). */
  batchMs?: number;
  /** Whether an Authorization header carries an operator token; without it /ui/auth-check answers 404. */
  authorize?: (authorizationHeader: string | undefined) => boolean;
  /** The isolation engine's view of a node (isolated, waiting for approval); call `notify` when it changes. */
  isolationOf?: (nodeId: string) => IsolationMark | undefined;
  /** Override where static files are read from (tests). */
  staticDir?: string;
  now?: () => number;
}

export interface Dashboard {
  /** Serve `/`, `/index.html`, `/ui/…`; false when the path is not the dashboard's. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Take an upgrade for `/ws/ui`; false when the path is not the dashboard's. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Something outside the fleet (the isolation engine) changed how a node should look. */
  notify(nodeId: string): void;
  close(): void;
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Build the dashboard. Reads its static files now, so a missing file fails at start-up. */
export function createDashboard(deps: DashboardDeps): Dashboard {
  const log = moduleLogger(deps.log, 'dashboard');
  const assets = loadAssets(deps.staticDir ?? defaultStaticDir());
  const now = deps.now ?? Date.now;
  const tile = (id: string) => {
    const d = deps.fleet.nodeDetail(id);
    return d ? tileOf(d.node, d.findings, deps.isolationOf?.(id)) : undefined;
  };
  const hub = new UiLiveHub({
    source: { ids: () => deps.fleet.listNodes().map((n) => n.id), tile },
    log,
    batchMs: deps.batchMs ?? 250,
    maxBufferedBytes: 4 * 1024 * 1024,
    pingMs: 30_000,
    now,
  });
  const onChange = (e: { node: string }) => hub.mark(e.node);
  deps.fleet.on('change', onChange);
  log.info({ files: assets.size }, 'dashboard ready');

  return {
    async handle(req, res) {
      const path = new URL(req.url ?? '/', 'http://collector').pathname;
      if (path === '/ui/auth-check') {
        authCheck(req, res, deps.authorize);
        return true;
      }
      const key = assetKeyOf(path);
      if (key === undefined) {
        if (!path.startsWith('/ui/')) return false;
        notFound(res, path);
        return true;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
        res.end('method not allowed\n');
        return true;
      }
      const asset = assets.get(key);
      if (!asset) notFound(res, path);
      else serveAsset(req, res, asset);
      return true;
    },
    handleUpgrade(req, socket, head) {
      if ((req.url ?? '').split('?')[0] !== UI_WS_PATH) return false;
      hub.upgrade(req, socket, head);
      return true;
    },
    notify(nodeId) {
      hub.mark(nodeId);
    },
    close() {
      deps.fleet.off('change', onChange);
      hub.close();
    },
  };
}

function serveAsset(req: IncomingMessage, res: ServerResponse, a: Asset): void {
  const headers: Record<string, string | number> = {
    ...SECURITY_HEADERS,
    'content-type': a.contentType,
    etag: a.etag,
    // Names carry no hash: revalidate every time (a 304 costs one small round trip).
    'cache-control': 'no-cache',
    vary: 'accept-encoding',
  };
  const inm = req.headers['if-none-match'];
  if (inm?.split(',').some((t) => t.trim() === a.etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip = a.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? a.gzip! : a.body;
  if (gzip) headers['content-encoding'] = 'gzip';
  headers['content-length'] = body.length;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

function notFound(res: ServerResponse, path: string): void {
  const text = JSON.stringify({ error: { code: 'NOT_FOUND', message: `no dashboard file at ${path}` } });
  res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function authCheck(
  req: IncomingMessage,
  res: ServerResponse,
  authorize: ((h: string | undefined) => boolean) | undefined,
): void {
  const [status, body] = !authorize
    ? [404, { error: { code: 'NOT_FOUND', message: 'operator authentication is not configured' } }]
    : authorize(req.headers.authorization)
      ? [200, { ok: true }]
      : [401, { error: { code: 'AUTH_FAILED', message: 'missing or invalid operator token' } }];
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
