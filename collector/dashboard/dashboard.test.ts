/**
 * createDashboard on a real HTTP server over a real Fleet (SQLite store in a temp dir): static
 * files with ETags, gzip and refusals; the operator-token check; the /ws/ui live feed with its
 * snapshot and batched deltas.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Finding } from '../../core/finding.ts';
import { silentLogger } from '../../core/logger.ts';
import { Fleet } from '../fleet.ts';
import { Store } from '../store.ts';
import { createDashboard, type Dashboard } from './dashboard.ts';
import type { UiMessage } from './delta-batch.ts';
import type { IsolationMark } from './tiles.ts';

const finding = (severity: Finding['severity'], n: number): Finding => ({
  code: 'gpu.xid.79',
  component: 'gpu:0',
  severity,
  action: 'drain',
  kind: 'event',
  message: 'fell off the bus',
  evidence: 'NVRM: Xid 79',
  firstSeen: 1,
  lastSeen: 1 + n,
  count: n,
});

describe('createDashboard', () => {
  let store: Store;
  let fleet: Fleet;
  let dash: Dashboard;
  let server: Server;
  let base: string;
  const marks = new Map<string, IsolationMark>();

  beforeEach(async () => {
    store = new Store(join(mkdtempSync(join(tmpdir(), 'keelson-dash-unit-')), 'k.db'));
    fleet = new Fleet(store, silentLogger());
    for (const id of ['n1', 'n2']) {
      fleet.hello(
        {
          v: 1,
          ts: 1,
          type: 'hello',
          nodeId: id,
          hostname: id,
          labels: { job: 'a' },
          agentVersion: 't',
          capabilities: [],
          epoch: 'e',
          lastAckedSeq: 0,
        },
        1,
      );
    }
    dash = createDashboard({
      fleet,
      log: silentLogger(),
      batchMs: 100,
      authorize: (h) => h === 'Bearer op-token',
      isolationOf: (id) => marks.get(id),
    });
    server = createServer((req, res) => {
      dash.handle(req, res).then((handled) => {
        if (!handled) {
          res.writeHead(418);
          res.end();
        }
      });
    });
    server.on('upgrade', (req, socket, head) => {
      if (!dash.handleUpgrade(req, socket, head)) socket.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    dash.close();
    marks.clear();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    store.close();
  });

  it('serves the page with a strict CSP, revalidates by ETag, gzips when asked, and leaves other paths alone', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toContain('/ui/app.js');

    const js = await fetch(`${base}/ui/fleet-view.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(js.headers.get('content-encoding')).toBe('gzip');
    expect(await js.text()).toContain('mountFleet'); // fetch inflated it
    const again = await fetch(`${base}/ui/fleet-view.js`, { headers: { 'if-none-match': js.headers.get('etag')! } });
    expect(again.status).toBe(304);
    const head = await fetch(`${base}/ui/app.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(100);

    expect((await fetch(`${base}/ui/app.js`, { method: 'POST' })).status).toBe(405);
    const missing = await fetch(`${base}/ui/nope.js`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    expect((await fetch(`${base}/api/nodes`)).status).toBe(418); // not the dashboard's: handle() said false
  });

  it('tells the page whether an operator token is accepted', async () => {
    expect((await fetch(`${base}/ui/auth-check`, { headers: { authorization: 'Bearer op-token' } })).status).toBe(200);
    expect((await fetch(`${base}/ui/auth-check`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await fetch(`${base}/ui/auth-check`)).status).toBe(401);
  });

  it('streams a snapshot, then one delta per window with only the tiles that changed', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/ws/ui`);
    const msgs: UiMessage[] = [];
    ws.on('message', (d) => msgs.push(JSON.parse(String(d)) as UiMessage));
    await new Promise((r) => ws.once('open', r));
    await waitUntil(() => msgs.some((m) => m.type === 'snapshot'));
    expect(msgs[0]).toMatchObject({ type: 'hello', version: 1, batchMs: 100 });
    const snap = msgs[1] as Extract<UiMessage, { type: 'snapshot' }>;
    expect(snap.tiles.map((t) => t.id)).toEqual(['n1', 'n2']);

    // 30 changes to n1 inside one window (n2 untouched) → one delta holding n1's latest state.
    for (let i = 1; i <= 30; i++) {
      fleet.apply(
        'n1',
        {
          v: 1,
          ts: i,
          type: 'findings',
          seq: i,
          changes: [{ change: i === 1 ? 'opened' : 'updated', finding: finding(i < 30 ? 'warn' : 'fatal', i) }],
        },
        i,
      );
    }
    await waitUntil(() => msgs.some((m) => m.type === 'delta'));
    await new Promise((r) => setTimeout(r, 250));
    const deltas = msgs.filter((m): m is Extract<UiMessage, { type: 'delta' }> => m.type === 'delta');
    expect(deltas).toHaveLength(1);
    expect(deltas[0]!.upsert).toHaveLength(1);
    expect(deltas[0]!.upsert[0]).toMatchObject({ id: 'n1', sev: 'fatal', top: 'gpu.xid.79', n: 1 });

    // A change that draws the same (count only) sends nothing; an isolation mark does.
    fleet.apply(
      'n1',
      { v: 1, ts: 40, type: 'findings', seq: 40, changes: [{ change: 'updated', finding: finding('fatal', 40) }] },
      40,
    );
    await new Promise((r) => setTimeout(r, 250));
    expect(msgs.filter((m) => m.type === 'delta')).toHaveLength(1);
    marks.set('n2', { status: 'isolated', since: 5, reason: 'test' });
    dash.notify('n2');
    await waitUntil(() => msgs.filter((m) => m.type === 'delta').length === 2);
    expect((msgs.at(-1) as Extract<UiMessage, { type: 'delta' }>).upsert).toMatchObject([
      { id: 'n2', iso: 'isolated' },
    ]);
    ws.close();
  });

  it('declines upgrades for other paths', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/ws/agent`);
    const err = await new Promise<Error>((r) => ws.once('error', r));
    expect(err.message).toMatch(/socket hang up|ECONNRESET/);
  });
});

async function waitUntil(fn: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
