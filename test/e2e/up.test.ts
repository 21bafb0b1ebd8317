/**
 * `npm start` (= `keelson up`): a collector and an agent for this host with embedded
 * defaults; the host is listed within 10 s; Ctrl-C stops both cleanly; a restart keeps history.
 */
import { hostname } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_PORT } from '../../core/version.ts';
import { freePort, getJson, KeelsonProcess, tempDir, waitFor } from '../helpers/processes.ts';

interface NodeView {
  id: string;
  state: string;
  firstSeen: number;
}

const procs: KeelsonProcess[] = [];
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
});

describe('keelson up', () => {
  it('defaults to port 7300', () => {
    expect(DEFAULT_COLLECTOR_PORT).toBe(7300);
  });

  it('lists this host within 10 s, prints the dashboard URL, stops on Ctrl-C, and keeps history across restarts', async () => {
    const home = tempDir('keelson-up-');
    const port = await freePort();
    const start = Date.now();
    const up = new KeelsonProcess(['up', '--home', home], { KEELSON_PORT: String(port) });
    procs.push(up);
    const nodes = await waitFor(
      async () => {
        const r = await getJson<{ nodes: NodeView[] }>(`http://127.0.0.1:${port}/api/nodes`);
        return r.nodes.some((n) => n.id === hostname() && n.state === 'online') ? r.nodes : undefined;
      },
      10_000,
      'this host in /api/nodes',
    );
    expect(Date.now() - start).toBeLessThan(10_000);
    expect(up.output).toContain(`dashboard: http://127.0.0.1:${port}/`);
    await waitFor(() => up.output.includes('Keelson is up.'), 10_000, 'the agent to finish starting');
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);

    expect(await up.stop('SIGINT')).toBe(0);
    expect(up.output).toMatch(/agent stopped/);
    expect(up.output).toMatch(/collector stopped/);

    const again = new KeelsonProcess(['up', '--home', home], { KEELSON_PORT: String(port) });
    procs.push(again);
    const after = await waitFor(
      async () => {
        const r = await getJson<{ nodes: NodeView[] }>(`http://127.0.0.1:${port}/api/nodes`);
        return r.nodes.find((n) => n.id === hostname() && n.state === 'online');
      },
      10_000,
      'this host after restart',
    );
    expect(after.firstSeen).toBe(nodes.find((n) => n.id === hostname())?.firstSeen);
    expect(await again.stop('SIGTERM')).toBe(0);
  }, 40_000);

  it('exits cleanly when stopped while still starting', async () => {
    const port = await freePort();
    const up = new KeelsonProcess(['up', '--home', tempDir('keelson-up-')], { KEELSON_PORT: String(port) });
    procs.push(up);
    await waitFor(() => up.output.includes('collector listening'), 10_000, 'collector to start');
    expect(await up.stop('SIGTERM')).toBe(0);
  }, 20_000);
});
