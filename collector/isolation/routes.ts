/**
 * REST routes of isolation on the collector's HTTP server, all behind a bearer token:
 *   GET  /api/isolation/nodes           POST /api/nodes/:id/isolate {reason}
 *   POST /api/nodes/:id/release         GET  /api/breaker      POST /api/breaker/reset
 *   GET  /api/approvals                 POST /api/approvals/:id {decision: approve|reject}
 *   GET  /api/audit?node=&kind=&what=&since=&limit=
 * The operator's name comes from the `X-Keelson-Operator` header (audit `who`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isKeelsonError } from '../../core/errors.ts';
import type { TokenSet } from '../auth.ts';
import {
  approvalCommand,
  auditCommand,
  auditQueryFrom,
  breakerResetCommand,
  breakerStatusCommand,
  type FleetNodeSummary,
  isolateCommand,
  nodesCommand,
  releaseCommand,
} from './commands.ts';
import type { IsolationEngine } from './engine.ts';

export interface IsolationRouteDeps {
  engine: IsolationEngine;
  tokens: TokenSet;
  fleetNodes?: () => readonly FleetNodeSummary[];
}

const MAX_BODY = 64 * 1024;

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

const fail = (res: ServerResponse, status: number, code: string, message: string) =>
  json(res, status, { error: { code, message } });

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  const v = JSON.parse(text);
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('body must be a JSON object');
  return v as Record<string, unknown>;
}

/** The operator named by the request, for the audit. */
export function operatorOf(req: IncomingMessage): string {
  const raw = String(req.headers['x-keelson-operator'] ?? '')
    .replace(/[^\w.@-]/g, '')
    .slice(0, 64);
  return `operator:${raw || 'api'}`;
}

/** Route one request; false when the path is not an isolation route. */
export async function handleIsolationApi(
  req: IncomingMessage,
  res: ServerResponse,
  deps: IsolationRouteDeps,
): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://collector');
  const path = url.pathname;
  const m = req.method ?? 'GET';
  const nodeRoute = /^\/api\/nodes\/([^/]+)\/(isolate|release)$/.exec(path);
  const approvalRoute = /^\/api\/approvals\/([^/]+)$/.exec(path);
  const known =
    nodeRoute ||
    approvalRoute ||
    ['/api/isolation/nodes', '/api/breaker', '/api/breaker/reset', '/api/approvals', '/api/audit'].includes(path);
  if (!known) return false;
  if (!deps.tokens.acceptsHeader(req.headers.authorization)) {
    fail(res, 401, 'AUTH_FAILED', 'a valid bearer token is required');
    return true;
  }
  const who = operatorOf(req);
  const want = (method: string) => {
    if (m === method) return true;
    fail(res, 405, 'METHOD_NOT_ALLOWED', `${m} is not supported on ${path}`);
    return false;
  };
  try {
    if (path === '/api/isolation/nodes') {
      if (want('GET')) json(res, 200, nodesCommand(deps.engine, deps.fleetNodes?.() ?? []));
    } else if (path === '/api/breaker') {
      if (want('GET')) json(res, 200, breakerStatusCommand(deps.engine));
    } else if (path === '/api/breaker/reset') {
      if (want('POST')) json(res, 200, breakerResetCommand(deps.engine, who));
    } else if (path === '/api/approvals') {
      if (want('GET')) json(res, 200, { approvals: deps.engine.breakerStatus().pending });
    } else if (path === '/api/audit') {
      if (want('GET')) {
        const p = url.searchParams;
        const q = auditQueryFrom({
          node: p.get('node'),
          kind: p.get('kind'),
          what: p.get('what'),
          since: p.get('since'),
          limit: p.get('limit'),
        });
        json(res, 200, auditCommand(deps.engine, q));
      }
    } else if (nodeRoute) {
      if (!want('POST')) return true;
      const node = decodeURIComponent(nodeRoute[1]!);
      const body = await readJson(req);
      if (nodeRoute[2] === 'isolate') {
        const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
        if (!reason) {
          fail(res, 400, 'BAD_REQUEST', 'a reason is required');
          return true;
        }
        json(res, 200, await isolateCommand(deps.engine, { node, reason, who }));
      } else json(res, 200, await releaseCommand(deps.engine, { node, who }));
    } else if (approvalRoute) {
      if (!want('POST')) return true;
      const body = await readJson(req);
      const decision = body.decision === 'reject' ? 'reject' : 'approve';
      json(res, 200, await approvalCommand(deps.engine, { id: decodeURIComponent(approvalRoute[1]!), decision, who }));
    }
  } catch (err) {
    if (isKeelsonError(err, 'NOT_FOUND')) fail(res, 404, err.code, err.message);
    else if (isKeelsonError(err, 'ISOLATION_REFUSED')) fail(res, 409, err.code, err.message);
    else if (isKeelsonError(err)) fail(res, 502, err.code, err.message);
    else if (err instanceof SyntaxError || /body/.test((err as Error).message))
      fail(res, 400, 'BAD_REQUEST', (err as Error).message);
    else fail(res, 500, 'INTERNAL', (err as Error).message);
  }
  return true;
}
