/** `keelson incidents` and `keelson report` against a tiny local HTTP server answering fixture JSON. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { renderReport } from '../collector/incidents/report.ts';
import { SAMPLE_INCIDENTS, SAMPLE_NOW, SAMPLE_STATS } from '../test/fixtures/incidents/sample.ts';
import { incidentsCommand, reportCommand } from './incidents.ts';

interface Seen {
  path: string;
  auth?: string;
}

function capture() {
  const o = { out: '', err: '' };
  const io = {
    out: (t: string) => {
      o.out += t;
    },
    err: (t: string) => {
      o.err += t;
    },
  };
  return { o, io };
}

describe('incident commands', () => {
  let server: Server;
  let url: string;
  let seen: Seen[] = [];
  let answer: (req: IncomingMessage) => { status: number; type?: string; body: string };

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ path: req.url ?? '', auth: req.headers.authorization });
      const a = answer(req);
      res.writeHead(a.status, { 'content-type': a.type ?? 'application/json' });
      res.end(a.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    seen = [];
    answer = () => ({ status: 200, body: JSON.stringify({ incidents: SAMPLE_INCIDENTS }) });
  });

  it('prints a table of incidents with their moments, culprit, category and lost time', async () => {
    const { o, io } = capture();
    expect(await incidentsCommand({ collector: `${url}/`, since: '7d', status: 'active' }, io)).toBe(0);
    expect(seen).toEqual([{ path: '/api/incidents?since=7d&status=active', auth: undefined }]);
    expect(o.err).toBe('');
    const lines = o.out.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]!.split(/\s{2,}/)).toEqual([
      'ID',
      'STATUS',
      'FIRST EVIDENCE (UTC)',
      'JOB',
      'CULPRIT',
      'CATEGORY',
      'MTTD',
      'MTTI',
      'MTTR',
      'LOST',
    ]);
    expect(lines[4]!.split(/\s{2,}/)).toEqual([
      'inc-1',
      'recovered',
      '2026-01-05 10:00:00Z',
      'llama-70b',
      'gpu07 gpu:3',
      'GPU',
      '2m 05s',
      '30s',
      '20m 35s',
      '25m 35s (54.6 GPU-h)',
    ]);
    expect(lines[1]!.split(/\s{2,}/)).toEqual([
      'inc-4',
      'open',
      '2026-01-08 11:58:00Z',
      '—',
      '—',
      'Unknown',
      '45s',
      '—',
      '—',
      '—',
    ]);
    // Columns line up: every row puts its category at the same offset as the header.
    const col = lines[0]!.indexOf('CATEGORY');
    expect(lines.slice(1).map((l) => l.slice(col).split(/\s{2,}/)[0])).toEqual([
      'Unknown',
      'GPU memory',
      'Network',
      'GPU',
    ]);
  });

  it('prints the API’s JSON with --json and sends the token when given', async () => {
    const { o, io } = capture();
    expect(await incidentsCommand({ collector: url, json: true, token: 'tok' }, io)).toBe(0);
    expect(seen).toEqual([{ path: '/api/incidents', auth: 'Bearer tok' }]);
    expect(JSON.parse(o.out)).toEqual({ incidents: SAMPLE_INCIDENTS });
  });

  it('says so when there are none', async () => {
    answer = () => ({ status: 200, body: '{"incidents":[]}' });
    const { o, io } = capture();
    expect(await incidentsCommand({ collector: url, since: '24h' }, io)).toBe(0);
    expect(o.out).toBe('No incidents since 24h.\n');
  });

  it('refuses a bad --since or --status with exit 2 before asking the collector', async () => {
    const a = capture();
    expect(await incidentsCommand({ collector: url, since: 'yesterday' }, a.io)).toBe(2);
    expect(a.o.err).toMatch(/^keelson: CONFIG_INVALID: since: "yesterday" is not understood/);
    const b = capture();
    expect(await incidentsCommand({ collector: url, status: 'closed' }, b.io)).toBe(2);
    expect(b.o.err).toBe('keelson: CONFIG_INVALID: --status: expected one of open, mitigated, recovered, active\n');
    const c = capture();
    expect(await reportCommand({ collector: url, format: 'html' }, c.io)).toBe(2);
    expect(c.o.err).toBe('keelson: CONFIG_INVALID: --format: expected md or text\n');
    expect(seen).toEqual([]);
  });

  it('exits 1 with the reason when the collector refuses, lacks the route, or is down', async () => {
    answer = () => ({ status: 400, body: '{"error":{"code":"BAD_REQUEST","message":"limit: expected 1 to 5000"}}' });
    const a = capture();
    expect(await incidentsCommand({ collector: url }, a.io)).toBe(1);
    expect(a.o.err).toBe('BAD_REQUEST: limit: expected 1 to 5000\n');

    answer = () => ({ status: 404, type: 'text/plain', body: 'nope' });
    const b = capture();
    expect(await reportCommand({ collector: url }, b.io)).toBe(1);
    expect(b.o.err).toBe('HTTP_404: this collector does not serve incident reports\n');

    const c = capture();
    expect(await incidentsCommand({ collector: 'http://127.0.0.1:1' }, c.io)).toBe(1);
    expect(c.o.err).toMatch(/^cannot reach the collector at http:\/\/127\.0\.0\.1:1: /);
  });

  it('prints the report the collector renders, 7 days of Markdown by default', async () => {
    const md = renderReport(SAMPLE_STATS, SAMPLE_INCIDENTS, { format: 'md', now: SAMPLE_NOW });
    answer = () => ({ status: 200, type: 'text/markdown', body: md });
    const a = capture();
    expect(await reportCommand({ collector: url }, a.io)).toBe(0);
    expect(a.o.out).toBe(md);
    const b = capture();
    expect(await reportCommand({ collector: url, since: '2026-01-01', format: 'text' }, b.io)).toBe(0);
    expect(seen.map((s) => s.path)).toEqual([
      '/api/incidents/report?since=7d&format=md',
      '/api/incidents/report?since=2026-01-01&format=text',
    ]);
  });
});
