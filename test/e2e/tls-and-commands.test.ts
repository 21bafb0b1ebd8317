/**
 * The collector over TLS (wss:// for agents, https:// for the API) with a self-signed
 * certificate: an agent that trusts it connects, one that does not is refused. Over that
 * session an operator runs a probe on the node now (command → command-result).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { freePort, KeelsonProcess, startAgent, TEST_TOKEN, tempDir, waitFor } from '../helpers/processes.ts';

const procs: KeelsonProcess[] = [];
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
});

// biome-ignore lint/suspicious/noExplicitAny: JSON answers of several shapes, checked by the assertions
type Json = any;

function call(url: string, ca: Buffer, method: string, token?: string): Promise<{ status: number; body: Json }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('TLS and commands', () => {
  it('serves wss/https with a certificate agents verify, and runs a probe on a node on request', async () => {
    const dir = tempDir('keelson-tls-');
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const ca = readFileSync(cert);
    const port = await freePort();
    const cfg = join(dir, 'collector.yaml');
    writeFileSync(
      cfg,
      stringify({ tokens: [TEST_TOKEN], operatorTokens: [TEST_TOKEN], tls: { certFile: cert, keyFile: key } }),
    );
    const collector = new KeelsonProcess(['collector', '--config', cfg, '--port', String(port), '--data-dir', dir]);
    procs.push(collector);
    const base = `https://127.0.0.1:${port}`;
    await waitFor(async () => (await call(`${base}/healthz`, ca, 'GET')).status === 200, 15_000, 'https collector');

    const off = Object.fromEntries(
      ['host-hw', 'gpu', 'rdma', 'nvme', 'driver', 'kernel-log'].map((p) => [p, { enabled: false }]),
    );
    const trusted = startAgent({
      nodeId: 'tls-node',
      collector: { url: `wss://127.0.0.1:${port}/ws/agent`, token: TEST_TOKEN, caFile: cert },
      probes: off,
      training: { enabled: false },
    }).proc;
    const untrusted = startAgent({
      nodeId: 'no-ca-node',
      collector: {
        url: `wss://127.0.0.1:${port}/ws/agent`,
        token: TEST_TOKEN,
        backoffInitialMs: 100,
        backoffMaxMs: 200,
      },
      probes: off,
      training: { enabled: false },
    }).proc;
    procs.push(trusted, untrusted);
    await waitFor(() => trusted.output.includes('session with collector established'), 15_000, 'TLS session');
    await waitFor(() => untrusted.output.includes('collector connection closed'), 15_000, 'untrusted refused');
    expect(untrusted.output).not.toContain('session with collector established');

    const run = `${base}/api/nodes/tls-node/probes/host/run`;
    expect((await call(run, ca, 'POST')).status).toBe(401);
    const ok = await call(run, ca, 'POST', TEST_TOKEN);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ node: 'tls-node', ok: true, result: { probe: 'host', status: 'ok' } });
    const unknown = await call(`${base}/api/nodes/tls-node/probes/teapot/run`, ca, 'POST', TEST_TOKEN);
    expect(unknown.status).toBe(502);
    expect(unknown.body.error).toMatch(/NOT_FOUND: no probe named teapot/);
    expect((await call(`${base}/api/nodes/ghost/probes/host/run`, ca, 'POST', TEST_TOKEN)).status).toBe(404);
  }, 60_000);
});
