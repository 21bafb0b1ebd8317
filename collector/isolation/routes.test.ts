import { createServer, type Server } from 'node:http';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import type { Finding } from '../../core/finding.ts';
import { silentLogger } from '../../core/logger.ts';
import { MemoryActuator } from '../actuators/memory.ts';
import { TokenSet } from '../auth.ts';
import { AuditLog } from './audit-store.ts';
import { DEFAULT_BREAKER } from './breaker.ts';
import { runAuditCli, runBreakerCli, runIsolateCli, runNodesCli, runReleaseCli } from './cli-client.ts';
import { defaultPolicy } from './default-policy.ts';
import { IsolationEngine } from './engine.ts';
import { DEFAULT_JOB_FLOW } from './job-flow.ts';
import { handleIsolationApi } from './routes.ts';

const TOKEN = 'operator-token-0123456789';
const T0 = 1_700_000_000_000;

describe('isolation REST routes and operator CLI', () => {
  const db = new Database(':memory:');
  const actuator = new MemoryActuator(['gpu01', 'gpu02', 'gpu03']);
  const engine = new IsolationEngine({
    policy: defaultPolicy(),
    mode: 'approve-first',
    breaker: DEFAULT_BREAKER,
    jobFlow: DEFAULT_JOB_FLOW,
    actuators: [actuator],
    audit: new AuditLog(db),
    log: silentLogger(),
    clock: new ManualClock(T0),
    fleetSize: () => 3,
  });
  let server: Server;
  let url = '';
  const out: string[] = [];
  const io = { out: (s: string) => void out.push(s), err: (s: string) => void out.push(s) };
  const opts = () => ({ url, token: TOKEN, operator: 'alice' });

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      const handled = await handleIsolationApi(req, res, {
        engine,
        tokens: new TokenSet([TOKEN]),
        fleetNodes: () => [{ id: 'gpu01', state: 'online', health: 'healthy' }],
      });
      if (!handled) res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    db.close();
  });

  it('refuses requests without the token', async () => {
    for (const [method, path] of [
      ['POST', '/api/nodes/gpu01/isolate'],
      ['GET', '/api/audit'],
      ['POST', '/api/breaker/reset'],
      ['POST', '/api/approvals/x'],
    ] as const) {
      const res = await fetch(`${url}${path}`, { method, headers: { authorization: 'Bearer wrong-token-000000000' } });
      expect(res.status, path).toBe(401);
    }
    expect(actuator.calls).toEqual([]);
    expect(await runIsolateCli({ url, node: 'gpu01', reason: 'x' }, io)).toBe(1);
  });

  it('isolate and release through the CLI, recorded with the operator’s name', async () => {
    expect(await runIsolateCli({ ...opts(), node: 'gpu01', reason: 'flaky NVLink, RMA-7' }, io)).toBe(0);
    expect(actuator.nodes.get('gpu01')).toEqual({
      isolated: true,
      reason: 'keelson: manual by:operator:alice flaky NVLink, RMA-7',
    });
    out.length = 0;
    expect(await runNodesCli(opts(), io)).toBe(0);
    expect(out.join('')).toMatch(/gpu01\s+online\s+healthy\s+isolated\s+keelson: manual/);
    expect(await runReleaseCli({ ...opts(), node: 'gpu01' }, io)).toBe(0);
    expect(actuator.nodes.get('gpu01')?.isolated).toBe(false);
    out.length = 0;
    expect(await runAuditCli({ ...opts(), json: true, node: 'gpu01' }, io)).toBe(0);
    const entries = JSON.parse(out.join('')).entries as { what: string; who: string; result: string }[];
    expect(entries.map((e) => `${e.what}/${e.who}/${e.result}`)).toEqual([
      'release/operator:alice/done',
      'isolate/operator:alice/done',
    ]);
  });

  it('refuses to touch a node someone else drained (409, exit 1)', async () => {
    actuator.operatorDrain('gpu02', 'bob: bios update');
    out.length = 0;
    expect(await runIsolateCli({ ...opts(), node: 'gpu02', reason: 'x' }, io)).toBe(1);
    expect(out.join('')).toMatch(/ISOLATION_REFUSED: gpu02: operator-owned/);
    expect(await runReleaseCli({ ...opts(), node: 'gpu02' }, io)).toBe(1);
    expect(actuator.nodes.get('gpu02')?.reason).toBe('bob: bios update');
  });

  it('approvals: an approve-first isolation waits, is listed and approved over the API', async () => {
    const f: Finding = {
      code: 'gpu.xid.79',
      component: 'gpu:1',
      severity: 'fatal',
      action: 'reboot',
      kind: 'event',
      message: 'fell off the bus',
      evidence: 'Xid 79',
      firstSeen: T0,
      lastSeen: T0,
      count: 1,
    };
    await engine.onFindingChange('gpu03', { change: 'opened', finding: f }, T0);
    const list = (await (
      await fetch(`${url}/api/approvals`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as {
      approvals: { id: string; node: string }[];
    };
    expect(list.approvals.map((a) => a.node)).toEqual(['gpu03']);
    const bad = await fetch(`${url}/api/approvals/nope`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(bad.status).toBe(404);
    const ok = await fetch(`${url}/api/approvals/${list.approvals[0]!.id}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'x-keelson-operator': 'carol' },
      body: JSON.stringify({ decision: 'approve' }),
    });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { entry: { who: string; result: string } }).entry).toMatchObject({
      who: 'operator:carol',
      result: 'done',
    });
    expect(actuator.nodes.get('gpu03')?.isolated).toBe(true);
    out.length = 0;
    expect(await runBreakerCli({ ...opts(), action: 'status' }, io)).toBe(0);
    expect(out.join('')).toMatch(/breaker closed \(mode approve-first\): 2\/1 isolations in 60 min, fleet 3/);
  });
});
