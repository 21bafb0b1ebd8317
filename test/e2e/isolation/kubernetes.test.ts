/**
 * The Kubernetes actuator through @kubernetes/client-node against the local fake API, which
 * validates every patched Node with kubernetes-models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONDITION_TYPE,
  KubernetesActuator,
  kubeConfigFor,
  REASON_ANNOTATION,
  TAINT_KEY,
} from '../../../collector/actuators/kubernetes.ts';
import { isKeelsonError } from '../../../core/errors.ts';
import { silentLogger } from '../../../core/logger.ts';
import { type FakeK8sApi, startFakeK8sApi } from '../../helpers/fake-k8s-api.ts';

// biome-ignore lint/suspicious/noExplicitAny: Node objects are inspected loosely in assertions
type Json = Record<string, any>;
const REASON = 'keelson: gpu.xid.79 gpu:3 GPU has fallen off the bus';
const FAST = { attempts: 3, initialMs: 20, maxMs: 50 };

describe('KubernetesActuator', () => {
  let k8s: FakeK8sApi;
  beforeAll(async () => {
    k8s = await startFakeK8sApi(['node-a', 'node-b', 'node-c', 'node-d']);
  });
  afterAll(() => k8s.close());

  const actuator = (evict = false) =>
    new KubernetesActuator({ kubeConfig: kubeConfigFor(k8s.url), evict, retry: FAST, log: silentLogger() });

  it('cordons, taints and sets the KeelsonHealthy condition, keeping the kubelet’s conditions', async () => {
    const a = actuator();
    await a.isolate('node-a', REASON);
    const n = k8s.nodes.get('node-a') as Json;
    expect(n.spec.unschedulable).toBe(true);
    expect(n.spec.taints).toEqual([{ key: TAINT_KEY, value: 'true', effect: 'NoSchedule' }]);
    expect(n.metadata.annotations[REASON_ANNOTATION]).toBe(REASON);
    const conds = n.status.conditions as Json[];
    expect(conds.map((c) => c.type)).toEqual(['Ready', 'MemoryPressure', CONDITION_TYPE]);
    expect(conds.find((c) => c.type === CONDITION_TYPE)).toMatchObject({
      status: 'False',
      reason: 'KeelsonIsolated',
      message: REASON,
    });
    expect(k8s.invalid).toEqual([]);
    expect(await a.read('node-a')).toEqual({ exists: true, isolated: true, state: 'cordoned', reason: REASON });
    const patches = k8s.requests.filter((r) => r.method === 'PATCH');
    expect(patches.map((p) => `${p.path} ${p.contentType}`)).toEqual([
      '/api/v1/nodes/node-a application/merge-patch+json',
      '/api/v1/nodes/node-a/status application/strategic-merge-patch+json',
    ]);
    // Idempotent: a second isolate leaves one taint.
    await a.isolate('node-a', REASON);
    expect((k8s.nodes.get('node-a') as Json).spec.taints).toHaveLength(1);
  });

  it('releases its own isolation and keeps other taints', async () => {
    const a = actuator();
    const node = k8s.nodes.get('node-b') as Json;
    node.spec = { taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }] };
    await a.isolate('node-b', REASON);
    await a.release('node-b');
    const n = k8s.nodes.get('node-b') as Json;
    expect(n.spec.unschedulable).toBeUndefined();
    expect(n.spec.taints).toEqual([{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }]);
    expect(n.metadata.annotations?.[REASON_ANNOTATION]).toBeUndefined();
    expect((n.status.conditions as Json[]).find((c) => c.type === CONDITION_TYPE)?.status).toBe('True');
    expect(await a.read('node-b')).toEqual({ exists: true, isolated: false, state: 'schedulable' });
  });

  it('never touches a node someone else cordoned', async () => {
    const a = actuator();
    (k8s.nodes.get('node-c') as Json).spec = { unschedulable: true };
    const before = JSON.stringify(k8s.nodes.get('node-c'));
    await expect(a.isolate('node-c', REASON)).rejects.toSatisfy((e) => isKeelsonError(e, 'ISOLATION_REFUSED'));
    await expect(a.release('node-c')).rejects.toSatisfy((e) => isKeelsonError(e, 'ISOLATION_REFUSED'));
    expect(JSON.stringify(k8s.nodes.get('node-c'))).toBe(before);
    expect(await a.read('node-x')).toMatchObject({ exists: false });
  });

  it('the fake refuses a Node that kubernetes-models rejects, as the API server would', async () => {
    const res = await fetch(`${k8s.url}/api/v1/nodes/node-a`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ spec: { taints: [{ key: TAINT_KEY }] } }),
    });
    expect(res.status).toBe(422);
    expect(k8s.invalid.at(-1)).toMatch(/effect/);
  });

  it('evicts pods when enabled, skipping DaemonSets and retrying while a PDB forbids it', async () => {
    const pod = (name: string, extra: Json = {}) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'train', ...extra },
      spec: { nodeName: 'node-d', containers: [{ name: 'c', image: 'x' }] },
    });
    k8s.pods.push(
      pod('rank-0'),
      pod('rank-1'),
      pod('dcgm', { ownerReferences: [{ kind: 'DaemonSet', name: 'dcgm', apiVersion: 'apps/v1', uid: 'u' }] }),
    );
    k8s.pdbBlocked.add('train/rank-1');
    await actuator(true).isolate('node-d', REASON);
    // rank-0 evicted; rank-1 held by its budget (logged, the node stays isolated); the DaemonSet pod stays.
    expect(k8s.pods.map((p: Json) => p.metadata.name)).toEqual(['rank-1', 'dcgm']);
    expect(k8s.requests.filter((r) => r.path.endsWith('/rank-1/eviction')).length).toBe(FAST.attempts);
    expect((k8s.nodes.get('node-d') as Json).spec.unschedulable).toBe(true);
  });
});
