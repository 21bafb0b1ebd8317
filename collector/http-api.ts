/**
 * The collector's REST API (read side): nodes, one node, findings and their history,
 * /metrics, /healthz, and a placeholder page at / until the dashboard lands.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jobCheckpointStatus } from './checkpoint/job-status.ts';
import type { Fleet } from './fleet.ts';
import type { IsolationEngine } from './isolation/engine.ts';
import { firingAlerts, isolationSummary } from './isolation/views.ts';
import type { CollectorMetrics } from './metrics.ts';
import type { Store } from './store.ts';
import { type JobFindingRef, jobDetail, jobSummary } from './training/jobs-view.ts';

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

function boolParam(v: string | null): boolean | undefined {
  if (v === null || v === 'any') return undefined;
  return v === '1' || v === 'true';
}

function intParam(v: string | null, dflt: number): number {
  const n = Number(v);
  return v !== null && Number.isInteger(n) && n > 0 ? n : dflt;
}

const PLACEHOLDER = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Keelson</title></head>
<body><h1>Keelson collector</h1><p>The dashboard is not built yet. The API is live:</p>
<ul><li><a href="/api/nodes">/api/nodes</a></li><li><a href="/api/findings?active=true">/api/findings?active=true</a></li>
<li><a href="/metrics">/metrics</a></li></ul></body></html>`;

/** The train.* findings (active and recent) the job views are built from. */
function trainingFindings(store: Store): JobFindingRef[] {
  return store.findings({ codePrefix: 'train.', limit: 5000 });
}

/** Route one HTTP request; returns false when no route matched. */
export async function handleApi(
  req: IncomingMessage,
  res: ServerResponse,
  deps: { fleet: Fleet; store: Store; metrics: CollectorMetrics; isolation: IsolationEngine; now: number },
): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://collector');
  const path = url.pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    json(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: `${req.method} is not supported here` } });
    return true;
  }
  if (path === '/' || path === '/index.html') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PLACEHOLDER);
    return true;
  }
  if (path === '/healthz') {
    json(res, 200, { ok: true });
    return true;
  }
  if (path === '/metrics') {
    const body = await deps.metrics.registry.metrics();
    res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
    res.end(body);
    return true;
  }
  if (path === '/api/nodes') {
    json(res, 200, { nodes: deps.fleet.listNodes() });
    return true;
  }
  const nodeMatch = /^\/api\/nodes\/([^/]+)$/.exec(path);
  if (nodeMatch) {
    const detail = deps.fleet.nodeDetail(decodeURIComponent(nodeMatch[1]!));
    if (!detail) json(res, 404, { error: { code: 'NOT_FOUND', message: 'no such node' } });
    else json(res, 200, detail);
    return true;
  }
  if (path === '/api/findings') {
    const p = url.searchParams;
    json(res, 200, {
      findings: deps.fleet.findings({
        node: p.get('node') ?? undefined,
        code: p.get('code') ?? undefined,
        active: boolParam(p.get('active')),
        limit: intParam(p.get('limit'), 1000),
      }),
    });
    return true;
  }
  if (path === '/api/isolation') {
    json(res, 200, isolationSummary(deps.isolation));
    return true;
  }
  if (path === '/api/alerts') {
    const alerts = deps.isolation.firingAlerts();
    if (!alerts) json(res, 404, { error: { code: 'NOT_FOUND', message: 'no Alertmanager is configured' } });
    else json(res, 200, firingAlerts(alerts));
    return true;
  }
  if (path === '/api/jobs') {
    const findings = trainingFindings(deps.store);
    json(res, 200, {
      jobs: deps.fleet.jobHistory.all().map((j) =>
        jobSummary(
          j,
          findings.filter((f) => f.component === `job:${j.job}`),
          deps.now,
        ),
      ),
    });
    return true;
  }
  const jobMatch = /^\/api\/jobs\/([^/]+)$/.exec(path);
  if (jobMatch) {
    const series = deps.fleet.jobHistory.get(decodeURIComponent(jobMatch[1]!));
    if (!series) json(res, 404, { error: { code: 'NOT_FOUND', message: 'no such job' } });
    else {
      const ckpt = jobCheckpointStatus(series.job, deps.fleet.checkpointStates, Object.keys(series.nodes));
      json(res, 200, jobDetail(series, trainingFindings(deps.store), deps.now, ckpt));
    }
    return true;
  }
  if (path === '/api/finding-events') {
    const p = url.searchParams;
    json(res, 200, {
      events: deps.store.findingEvents({
        node: p.get('node') ?? undefined,
        code: p.get('code') ?? undefined,
        limit: intParam(p.get('limit'), 10_000),
      }),
    });
    return true;
  }
  return false;
}
