/**
 * The network-test API: `POST /api/nettest/campaigns` {nodes?, kind?, force?, testTimeoutMs?}
 * starts a campaign (operator token; answers 202 with its id; without nodes, every connected
 * node not running a job), `GET /api/nettest/campaigns`
 * lists them, `GET /api/nettest/campaigns/:id` gives one with every round's tests.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { NetTestService } from './service.ts';
import type { CampaignStore } from './store.ts';

const startSchema = z
  .object({
    /** The nodes to test; absent: every connected node not running a job. */
    nodes: z.array(z.string().min(1)).min(1).max(4096).optional(),
    kind: z.enum(['nccl-allreduce', 'ib-write-bw']).optional(),
    force: z.boolean().optional(),
    testTimeoutMs: z.number().int().min(1000).max(3_600_000).optional(),
  })
  .strict();

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1 << 20) throw new Error('body too large');
    chunks.push(c as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

/** Route one request; false when it is not a network-test route. */
export async function handleNetTestApi(
  req: IncomingMessage,
  res: ServerResponse,
  deps: {
    service: NetTestService;
    store: CampaignStore;
    authorized: (header: string | undefined) => boolean;
    /** Connected nodes, for a campaign that names none (the busy ones are left out by the campaign). */
    onlineNodes: () => string[];
  },
): Promise<boolean> {
  const path = (req.url ?? '').split('?')[0] ?? '';
  if (path === '/api/nettest/campaigns' && req.method === 'POST') {
    if (!deps.authorized(req.headers.authorization)) {
      json(res, 401, { error: { code: 'AUTH_FAILED', message: 'a valid operator token is required' } });
      return true;
    }
    let parsed: z.infer<typeof startSchema>;
    try {
      parsed = startSchema.parse(await body(req));
    } catch (err) {
      json(res, 400, { error: { code: 'BAD_REQUEST', message: (err as Error).message.slice(0, 500) } });
      return true;
    }
    const nodes = parsed.nodes ?? deps.onlineNodes();
    if (nodes.length === 0) {
      json(res, 409, { error: { code: 'NETTEST_NO_NODES', message: 'no connected node to test' } });
      return true;
    }
    json(res, 202, { id: deps.service.start({ ...parsed, nodes }) });
    return true;
  }
  if (path === '/api/nettest/campaigns' && req.method === 'GET') {
    json(res, 200, { campaigns: await deps.store.listCampaigns() });
    return true;
  }
  const m = /^\/api\/nettest\/campaigns\/([^/]+)$/.exec(path);
  if (m && req.method === 'GET') {
    const id = decodeURIComponent(m[1]!);
    const campaign = await deps.store.getCampaign(id);
    if (!campaign) json(res, 404, { error: { code: 'NOT_FOUND', message: 'no such campaign' } });
    else json(res, 200, { campaign, tests: await deps.store.listTests(id) });
    return true;
  }
  return false;
}
