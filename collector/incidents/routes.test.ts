/** The incident routes over a real HTTP server and a real SQLite IncidentStore. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_INCIDENTS, SAMPLE_NOW, SAMPLE_STATS } from '../../test/fixtures/incidents/sample.ts';
import { handleIncidentsApi } from './routes.ts';
import { IncidentStore } from './store.ts';
import type { Incident, StabilityStats } from './types.ts';

describe('incident routes', () => {
  let server: Server;
  let base: string;
  const statsCalls: [number, number][] = [];

  beforeAll(async () => {
    const db = new Database(':memory:');
    const store = new IncidentStore(db);
    for (const i of SAMPLE_INCIDENTS) store.save(i);
    const stats = (since: number, now: number): StabilityStats => {
      statsCalls.push([since, now]);
      return { ...SAMPLE_STATS, since, until: now };
    };
    server = createServer((req, res) => {
      handleIncidentsApi(req, res, { store, stats, now: () => SAMPLE_NOW }).then((handled) => {
        if (!handled) {
          res.writeHead(418);
          res.end('not ours');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };
  const ids = async (path: string) => {
    const r = await get(path);
    expect(r.status, r.text).toBe(200);
    return (JSON.parse(r.text) as { incidents: Incident[] }).incidents.map((i) => i.id);
  };

  it('lists incidents newest first, filtered by since, status and limit', async () => {
    expect(await ids('/api/incidents')).toEqual(['inc-4', 'inc-3', 'inc-2', 'inc-1']);
    expect(await ids('/api/incidents?since=2026-01-06')).toEqual(['inc-4', 'inc-3', 'inc-2']);
    expect(await ids('/api/incidents?since=1h')).toEqual(['inc-4', 'inc-3']);
    expect(await ids('/api/incidents?status=recovered')).toEqual(['inc-2', 'inc-1']);
    expect(await ids('/api/incidents?status=active')).toEqual(['inc-4', 'inc-3']);
    expect(await ids('/api/incidents?status=mitigated')).toEqual(['inc-3']);
    expect(await ids('/api/incidents?limit=1')).toEqual(['inc-4']);
    expect(await ids(`/api/incidents?since=${SAMPLE_NOW - 3_600_000}`)).toEqual(['inc-4', 'inc-3']);
  });

  it('answers one incident whole, and 404 NOT_FOUND for an unknown one', async () => {
    const r = await get('/api/incidents/inc-1');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual(SAMPLE_INCIDENTS.find((i) => i.id === 'inc-1'));
    const missing = await get('/api/incidents/inc-99');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text).error.code).toBe('NOT_FOUND');
    expect((await get('/api/incidents/inc-1%2Fx')).status).toBe(404);
  });

  it('computes stats over the asked window, 7 days by default', async () => {
    statsCalls.length = 0;
    const r = await get('/api/incidents/stats');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toMatchObject({ since: SAMPLE_NOW - 7 * 86_400_000, until: SAMPLE_NOW, incidents: 4 });
    await get('/api/incidents/stats?since=24h');
    expect(statsCalls).toEqual([
      [SAMPLE_NOW - 7 * 86_400_000, SAMPLE_NOW],
      [SAMPLE_NOW - 86_400_000, SAMPLE_NOW],
    ]);
  });

  it('renders the report as Markdown or plain text', async () => {
    const md = await get('/api/incidents/report?since=7d');
    expect(md.status).toBe(200);
    expect(md.type).toBe('text/markdown; charset=utf-8');
    expect(md.text.split('\n')[0]).toBe('# Keelson stability report');
    expect(md.text).toContain('| inc-1 | recovered | 2026-01-05 10:00:00Z | llama-70b |');
    const text = await get('/api/incidents/report?since=7d&format=text');
    expect(text.type).toBe('text/plain; charset=utf-8');
    expect(text.text.split('\n').slice(0, 2)).toEqual(['Keelson stability report', '========================']);
  });

  it('refuses bad parameters with 400 and a reason, other methods with 405', async () => {
    for (const [path, why] of [
      ['/api/incidents?since=yesterday', /since: "yesterday" is not understood/],
      ['/api/incidents?status=closed', /status: expected one of open, mitigated, recovered, active/],
      ['/api/incidents?limit=0', /limit: expected 1 to 5000/],
      ['/api/incidents?limit=ten', /limit/],
      ['/api/incidents/stats?since=2030-01-01', /in the future/],
      ['/api/incidents/report?format=html', /format: expected md or text/],
      ['/api/incidents/%E0%A4%A', /percent-encoding/],
    ] as const) {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      const body = JSON.parse(r.text);
      expect(body.error.code, path).toBe('BAD_REQUEST');
      expect(body.error.message, path).toMatch(why);
    }
    const post = await fetch(`${base}/api/incidents`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
  });

  it('leaves other paths alone', async () => {
    expect((await get('/api/incidentsx')).status).toBe(418);
    expect((await get('/api/nodes')).status).toBe(418);
  });
});
