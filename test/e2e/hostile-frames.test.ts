/**
 * A real collector process faced with hostile or broken clients: each gets a clear error and
 * a closed connection, while the collector and a well-behaved agent carry on.
 */
import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeCollectorMessage, encodeMessage } from '../../protocol/codec.ts';
import type { CollectorMessage } from '../../protocol/messages.ts';
import {
  type CollectorHandle,
  getJson,
  type KeelsonProcess,
  startAgent,
  startCollector,
  TEST_TOKEN,
  waitFor,
} from '../helpers/processes.ts';

const packr = new Packr({ useRecords: false });
let collector: CollectorHandle;
let agent: KeelsonProcess;

const hello = (nodeId: string) =>
  encodeMessage({
    v: 1,
    ts: Date.now(),
    type: 'hello',
    nodeId,
    hostname: nodeId,
    labels: {},
    agentVersion: 'test',
    capabilities: [],
    epoch: 'hostile',
    lastAckedSeq: 0,
  });

interface Outcome {
  messages: CollectorMessage[];
  closeCode?: number;
  closeReason?: string;
  httpStatus?: number;
  httpBody?: string;
}

/** Connect, send `frames` (after an optional hello), and collect what the collector answers until it closes. */
function exchange(
  frames: (Buffer | string)[],
  opts: { token?: string | null; helloFirst?: boolean; maxPayload?: number } = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    const out: Outcome = { messages: [] };
    const headers: Record<string, string> = {};
    if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? TEST_TOKEN}`;
    const ws = new WebSocket(collector.wsUrl, { headers });
    const timer = setTimeout(() => {
      ws.terminate();
      resolve(out);
    }, 8000);
    ws.on('unexpected-response', (_req, res) => {
      out.httpStatus = res.statusCode;
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => {
        out.httpBody = body;
        clearTimeout(timer);
        resolve(out);
      });
    });
    ws.on('open', () => {
      if (opts.helloFirst) ws.send(hello('hostile-node'));
      for (const f of frames) ws.send(f, { binary: typeof f !== 'string' });
    });
    ws.on('message', (d) => {
      try {
        out.messages.push(decodeCollectorMessage(d as Buffer));
      } catch {
        // not ours to judge here
      }
    });
    ws.on('error', () => {});
    ws.on('close', (code, reason) => {
      out.closeCode = code;
      out.closeReason = reason.toString();
      clearTimeout(timer);
      resolve(out);
    });
  });
}

const errorCode = (o: Outcome) => o.messages.find((m) => m.type === 'error')?.code;

beforeAll(async () => {
  collector = await startCollector({ config: { maxPayloadBytes: 128 * 1024 } });
  agent = startAgent({ nodeId: 'steady', collector: { url: collector.wsUrl, token: TEST_TOKEN } }).proc;
  await waitFor(
    async () =>
      (await getJson<{ nodes: { id: string; state: string }[] }>(`${collector.url}/api/nodes`)).nodes.some(
        (n) => n.id === 'steady' && n.state === 'online',
      ),
    15_000,
    'steady agent online',
  );
});

afterAll(async () => {
  await agent?.stop();
  await collector?.proc.stop();
});

describe('collector against hostile clients', () => {
  it('refuses a missing or wrong token at the upgrade with 401 AUTH_FAILED', async () => {
    for (const token of [null, 'wrong-token-0123456789abcdef']) {
      const o = await exchange([], { token });
      expect(o.httpStatus).toBe(401);
      expect(JSON.parse(o.httpBody ?? '{}').error.code).toBe('AUTH_FAILED');
    }
  });

  it('closes on malformed msgpack', async () => {
    const o = await exchange([Buffer.from([0x83, 0xa1])], { helloFirst: true });
    expect(errorCode(o)).toBe('PROTO_MALFORMED');
    expect(o.closeCode).toBe(4400);
  });

  it('closes on an unknown message type', async () => {
    const o = await exchange([packr.pack({ v: 1, ts: 1, type: 'exec-shell', cmd: 'rm -rf /' })], { helloFirst: true });
    expect(errorCode(o)).toBe('PROTO_UNKNOWN_TYPE');
    expect(o.closeCode).toBe(4400);
  });

  it('closes on a wrong protocol version with a message saying which versions it speaks', async () => {
    const o = await exchange([packr.pack({ v: 2, ts: 1, type: 'hello' })]);
    expect(errorCode(o)).toBe('PROTO_VERSION');
    expect(o.messages.find((m) => m.type === 'error')).toMatchObject({ message: expect.stringMatching(/speaks 1/) });
    expect(o.closeCode).toBe(4426);
  });

  it('closes on a frame over the size limit', async () => {
    const o = await exchange([Buffer.alloc(200 * 1024, 0x90)], { helloFirst: true });
    expect(o.closeCode).toBe(1009);
  });

  it('closes on a schema-invalid message, a message before hello, and a text frame', async () => {
    const bad = await exchange([packr.pack({ v: 1, ts: 1, type: 'findings', seq: -4, changes: [] })], {
      helloFirst: true,
    });
    expect(errorCode(bad)).toBe('PROTO_INVALID');
    const early = await exchange([encodeMessage({ v: 1, ts: 1, type: 'metrics', seq: 1, samples: [] })]);
    expect(errorCode(early)).toBe('PROTO_ORDER');
    const text = await exchange(['{"type":"hello"}'], { helloFirst: true });
    expect(errorCode(text)).toBe('PROTO_NOT_TEXT');
  });

  it('carries on: still serving, the steady agent still online, a good client still welcomed', async () => {
    expect(collector.proc.alive).toBe(true);
    const { nodes } = await getJson<{ nodes: { id: string; state: string }[] }>(`${collector.url}/api/nodes`);
    expect(nodes.find((n) => n.id === 'steady')?.state).toBe('online');
    expect(agent.output).not.toMatch(/collector connection closed/);
    const good = await new Promise<CollectorMessage>((resolve, reject) => {
      const ws = new WebSocket(collector.wsUrl, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
      ws.on('open', () => ws.send(hello('good-node')));
      ws.on('message', (d) => {
        resolve(decodeCollectorMessage(d as Buffer));
        ws.close(1000);
      });
      ws.on('error', reject);
    });
    expect(good).toMatchObject({ type: 'welcome', lastSeq: 0 });
    const metrics = await (await fetch(`${collector.url}/metrics`)).text();
    expect(metrics).toMatch(/keelson_collector_rejected_total\{code="AUTH_FAILED"\} 2/);
  });
});
