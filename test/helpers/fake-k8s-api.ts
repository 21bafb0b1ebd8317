/**
 * A small local Kubernetes API for the Kubernetes actuator's tests (no real API server can run
 * here): GET/PATCH /api/v1/nodes/:name and /status with JSON merge patch (RFC 7386) and the
 * strategic merge patch Kubernetes uses for nodes (conditions merged by `type`, taints by
 * `key`), resourceVersion preconditions (409), pods on a node and evictions (429 while a
 * PodDisruptionBudget forbids one). Every patched node is validated with kubernetes-models;
 * an invalid one is refused with 422 as the real API would.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Node } from 'kubernetes-models/v1';

type Json = Record<string, unknown>;

export interface FakeK8sApi {
  url: string;
  nodes: Map<string, Json>;
  pods: Json[];
  /** Pods (namespace/name) a PodDisruptionBudget protects: their eviction answers 429. */
  pdbBlocked: Set<string>;
  /** Every request: method, path, content type. */
  requests: { method: string; path: string; contentType: string }[];
  /** Patches refused because the result failed kubernetes-models validation. */
  invalid: string[];
  close(): Promise<void>;
}

/** A Node as a kubelet would have registered it. */
export function kubeletNode(name: string): Json {
  const now = new Date().toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: `uid-${name}`,
      resourceVersion: '1',
      creationTimestamp: now,
      labels: { 'kubernetes.io/hostname': name },
    },
    spec: {},
    status: {
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
        {
          type: 'MemoryPressure',
          status: 'False',
          reason: 'KubeletHasSufficientMemory',
          message: 'ok',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
      ],
    },
  };
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Json = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Json) } : {};
  for (const [k, v] of Object.entries(patch as Json)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const MERGE_KEYS: Record<string, string> = {
  'status.conditions': 'type',
  'spec.taints': 'key',
  'status.addresses': 'type',
};

/** Strategic merge patch for the node fields the actuator touches (lists merged by their key). */
export function strategicPatch(target: unknown, patch: unknown, path = ''): unknown {
  if (patch === null || typeof patch !== 'object') return patch;
  if (Array.isArray(patch)) {
    const key = MERGE_KEYS[path];
    if (!key || !Array.isArray(target)) return patch;
    const out = [...(target as Json[])];
    for (const item of patch as Json[]) {
      const i = out.findIndex((x) => x[key] === item[key]);
      if (item.$patch === 'delete') {
        if (i >= 0) out.splice(i, 1);
      } else if (i >= 0) out[i] = strategicPatch(out[i], item, `${path}[]`) as Json;
      else out.push(item);
    }
    return out;
  }
  const out: Json = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Json) } : {};
  for (const [k, v] of Object.entries(patch as Json)) {
    if (v === null) delete out[k];
    else out[k] = strategicPatch(out[k], v, path ? `${path}.${k}` : k);
  }
  return out;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const status = (code: number, reason: string, message: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  reason,
  message,
  code,
});

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

export async function startFakeK8sApi(nodeNames: readonly string[]): Promise<FakeK8sApi> {
  const nodes = new Map<string, Json>(nodeNames.map((n) => [n, kubeletNode(n)]));
  const api: Omit<FakeK8sApi, 'url' | 'close'> = { nodes, pods: [], pdbBlocked: new Set(), requests: [], invalid: [] };
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://k8s');
    const contentType = String(req.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim();
    api.requests.push({ method: req.method ?? '', path: url.pathname, contentType });
    try {
      const m = /^\/api\/v1\/nodes\/([^/]+)(\/status)?$/.exec(url.pathname);
      if (m) {
        const name = decodeURIComponent(m[1]!);
        const cur = nodes.get(name);
        if (!cur) return send(res, 404, status(404, 'NotFound', `nodes "${name}" not found`));
        if (req.method === 'GET') return send(res, 200, cur);
        if (req.method !== 'PATCH') return send(res, 405, status(405, 'MethodNotAllowed', req.method ?? ''));
        const patch = (await body(req)) as Json;
        const wantRv = (patch.metadata as Json | undefined)?.resourceVersion;
        const curRv = (cur.metadata as Json).resourceVersion;
        if (wantRv !== undefined && wantRv !== curRv) {
          return send(
            res,
            409,
            status(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version'),
          );
        }
        let next: Json;
        if (contentType === 'application/merge-patch+json') next = mergePatch(cur, patch) as Json;
        else if (contentType === 'application/strategic-merge-patch+json') next = strategicPatch(cur, patch) as Json;
        else return send(res, 415, status(415, 'UnsupportedMediaType', `unsupported patch type ${contentType}`));
        // The status subresource changes only status; the main resource never changes status.
        if (m[2]) next = { ...cur, status: next.status };
        else next = { ...next, status: cur.status };
        (next.metadata as Json).resourceVersion = String(Number(curRv) + 1);
        try {
          new Node(next as never).validate();
        } catch (err) {
          api.invalid.push(`${name}: ${(err as Error).message}`);
          return send(res, 422, status(422, 'Invalid', (err as Error).message));
        }
        nodes.set(name, next);
        return send(res, 200, next);
      }
      if (url.pathname === '/api/v1/pods' && req.method === 'GET') {
        const sel = url.searchParams.get('fieldSelector') ?? '';
        const node = /spec\.nodeName=([^,]+)/.exec(sel)?.[1];
        const items = api.pods.filter((p) => !node || (p.spec as Json).nodeName === node);
        return send(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items });
      }
      const ev = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/eviction$/.exec(url.pathname);
      if (ev && req.method === 'POST') {
        await body(req);
        const id = `${ev[1]}/${ev[2]}`;
        if (api.pdbBlocked.has(id)) {
          return send(
            res,
            429,
            status(429, 'TooManyRequests', 'Cannot evict pod as it would violate the pod\u2019s disruption budget.'),
          );
        }
        const i = api.pods.findIndex((p) => `${(p.metadata as Json).namespace}/${(p.metadata as Json).name}` === id);
        if (i < 0) return send(res, 404, status(404, 'NotFound', `pods "${ev[2]}" not found`));
        api.pods.splice(i, 1);
        return send(res, 201, { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 201 });
      }
      return send(res, 404, status(404, 'NotFound', url.pathname));
    } catch (err) {
      return send(res, 400, status(400, 'BadRequest', (err as Error).message));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    ...api,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
