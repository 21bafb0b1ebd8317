/**
 * The incident routes of the collector's REST API, readable without a token:
 *   GET /api/incidents?since=7d&status=open|mitigated|recovered|active&limit=N → { incidents } newest first
 *   GET /api/incidents/stats?since=7d                                          → StabilityStats
 *   GET /api/incidents/report?since=7d&format=md|text                          → the postmortem text
 *   GET /api/incidents/<id>                                                    → Incident, or 404 NOT_FOUND
 * `since` takes what parseSince reads; the list defaults to everything kept (open ones always
 * included), stats and the report to the last 7 days.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isKeelsonError } from '../../core/errors.ts';
import { renderReport } from './report.ts';
import { parseSince } from './since.ts';
import type { IncidentQuery, IncidentStore } from './store.ts';
import type { StabilityStats } from './types.ts';

export interface IncidentsApiDeps {
  store: IncidentStore;
  /** The tracker's figures over [since, now]. */
  stats: (since: number, now: number) => StabilityStats;
  now: () => number;
}

const DEFAULT_LIMIT = 200;
const MAX_LIMIT = 5000;
const STATUSES = ['open', 'mitigated', 'recovered', 'active'] as const;

class BadRequest extends Error {}

function send(res: ServerResponse, status: number, contentType: string, text: string): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

const json = (res: ServerResponse, status: number, body: unknown) =>
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));

const fail = (res: ServerResponse, status: number, code: string, message: string) =>
  json(res, status, { error: { code, message } });

function sinceOf(p: URLSearchParams, fallback: string | undefined, now: number): number {
  const text = p.get('since') ?? fallback;
  return text === undefined ? 0 : parseSince(text, now);
}

/** The list query from `?since=&status=&limit=`; throws BadRequest or CONFIG_INVALID. */
function listQuery(p: URLSearchParams, now: number): IncidentQuery {
  const q: IncidentQuery = { since: sinceOf(p, undefined, now), limit: DEFAULT_LIMIT };
  const status = p.get('status');
  if (status !== null) {
    if (!(STATUSES as readonly string[]).includes(status)) {
      throw new BadRequest(`status: expected one of ${STATUSES.join(', ')}`);
    }
    q.status = status as IncidentQuery['status'];
  }
  const limit = p.get('limit');
  if (limit !== null) {
    const n = Number(limit);
    if (!/^\d+$/.test(limit) || n < 1 || n > MAX_LIMIT) throw new BadRequest(`limit: expected 1 to ${MAX_LIMIT}`);
    q.limit = n;
  }
  return q;
}

/** Route one request; false when the path is not an incident route. */
export async function handleIncidentsApi(
  req: IncomingMessage,
  res: ServerResponse,
  deps: IncidentsApiDeps,
): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://collector');
  const path = url.pathname;
  if (path !== '/api/incidents' && !path.startsWith('/api/incidents/')) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    fail(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not supported on ${path}`);
    return true;
  }
  const p = url.searchParams;
  const now = deps.now();
  try {
    if (path === '/api/incidents') {
      json(res, 200, { incidents: deps.store.list(listQuery(p, now)) });
    } else if (path === '/api/incidents/stats') {
      json(res, 200, deps.stats(sinceOf(p, '7d', now), now));
    } else if (path === '/api/incidents/report') {
      const format = p.get('format') ?? 'md';
      if (format !== 'md' && format !== 'text') throw new BadRequest('format: expected md or text');
      const since = sinceOf(p, '7d', now);
      const text = renderReport(deps.stats(since, now), deps.store.list({ since, limit: MAX_LIMIT }), {
        format,
        now,
      });
      send(res, 200, format === 'md' ? 'text/markdown; charset=utf-8' : 'text/plain; charset=utf-8', text);
    } else {
      const raw = path.slice('/api/incidents/'.length);
      let id: string;
      try {
        id = decodeURIComponent(raw);
      } catch {
        throw new BadRequest('the incident id is not valid percent-encoding');
      }
      const incident = raw.includes('/') ? undefined : deps.store.get(id);
      if (!incident) fail(res, 404, 'NOT_FOUND', `no incident ${id}`);
      else json(res, 200, incident);
    }
  } catch (err) {
    if (err instanceof BadRequest || isKeelsonError(err, 'CONFIG_INVALID')) {
      fail(res, 400, 'BAD_REQUEST', (err as Error).message);
    } else fail(res, 500, 'INTERNAL', (err as Error).message);
  }
  return true;
}
