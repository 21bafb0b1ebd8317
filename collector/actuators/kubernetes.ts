/**
 * The Kubernetes actuator (@kubernetes/client-node 1.x): cordon (spec.unschedulable), taint
 * `keelson.io/unhealthy:NoSchedule`, the NodeCondition `KeelsonHealthy` (nodes/status,
 * strategic merge so the kubelet's conditions stay), and an optional eviction of the node's
 * pods that respects PodDisruptionBudgets (the API answers 429 while a budget forbids it).
 * Keelson's reason sits in the annotation `keelson.io/reason`; a node cordoned without it
 * belongs to someone else and is never touched.
 */
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Node,
  type V1Taint,
} from '@kubernetes/client-node';
import { KeelsonError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { isOwnReason, type ObservedNode } from '../isolation/safety.ts';
import { DEFAULT_RETRY, type RetryOptions, withRetry } from './retry.ts';
import type { NodeActuator } from './types.ts';

export const TAINT_KEY = 'keelson.io/unhealthy';
export const REASON_ANNOTATION = 'keelson.io/reason';
export const CONDITION_TYPE = 'KeelsonHealthy';

export interface KubernetesActuatorOptions {
  kubeConfig: KubeConfig;
  /** Evict the node's pods after cordoning (PDBs respected). Off by default. */
  evict?: boolean;
  retry?: RetryOptions;
  log: Logger;
  now?: () => number;
}

/**
 * A KubeConfig for a server URL and bearer token (tests, or a collector outside the cluster).
 * client-node refuses plain http unless skipTLSVerify is set; for http there is no TLS to skip.
 */
export function kubeConfigFor(server: string, token?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'k', server, skipTLSVerify: server.startsWith('http:') }],
    users: [{ name: 'u', ...(token ? { token } : {}) }],
    contexts: [{ name: 'c', cluster: 'k', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const strategicPatch = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

function statusOf(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** Observed state from a Node object. Pure. */
export function observeNode(node: V1Node): ObservedNode {
  const cordoned = node.spec?.unschedulable === true;
  const ours = node.metadata?.annotations?.[REASON_ANNOTATION];
  const tainted = (node.spec?.taints ?? []).some((t) => t.key === TAINT_KEY);
  const isolated = cordoned || tainted;
  return {
    exists: true,
    isolated,
    state: cordoned ? 'cordoned' : tainted ? 'tainted' : 'schedulable',
    ...(isolated ? { reason: ours ?? 'cordoned by someone else' } : {}),
  };
}

export class KubernetesActuator implements NodeActuator {
  readonly name = 'kubernetes';
  private readonly api: CoreV1Api;
  private readonly retry: RetryOptions;
  private readonly now: () => number;

  constructor(private readonly opts: KubernetesActuatorOptions) {
    this.api = opts.kubeConfig.makeApiClient(CoreV1Api);
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.now = opts.now ?? Date.now;
  }

  private async get(name: string): Promise<V1Node | undefined> {
    try {
      return await this.api.readNode({ name });
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw new KeelsonError('ACTUATOR_FAILED', `GET node ${name}: ${(err as Error).message}`, { cause: err });
    }
  }

  async read(name: string): Promise<ObservedNode> {
    const node = await withRetry(() => this.get(name), this.retry);
    return node ? observeNode(node) : { exists: false, isolated: false, state: 'unknown' };
  }

  async isolate(name: string, reason: string): Promise<void> {
    if (!isOwnReason(reason)) throw new KeelsonError('ISOLATION_REFUSED', `reason must be owner-tagged: ${reason}`);
    await withRetry(async () => {
      const node = await this.get(name);
      if (!node) throw new KeelsonError('NOT_FOUND', `Kubernetes does not know node ${name}`);
      const seen = observeNode(node);
      if (seen.isolated && !isOwnReason(seen.reason)) {
        throw new KeelsonError('ISOLATION_REFUSED', `${name} is cordoned by someone else`);
      }
      const taints = (node.spec?.taints ?? []).filter((t) => t.key !== TAINT_KEY);
      const taint: V1Taint = { key: TAINT_KEY, value: 'true', effect: 'NoSchedule' };
      await this.patchSpec(name, node, {
        metadata: { annotations: { [REASON_ANNOTATION]: reason } },
        spec: { unschedulable: true, taints: [...taints, taint] },
      });
      await this.setCondition(name, 'False', 'KeelsonIsolated', reason);
      this.opts.log.info({ node: name, reason }, 'kubernetes node cordoned and tainted');
    }, this.retry);
    if (this.opts.evict) {
      // The node is isolated either way; a budget that holds pods back is logged, not fatal.
      await this.evictPods(name).catch((err) =>
        this.opts.log.warn({ node: name, err }, 'eviction incomplete (PodDisruptionBudget or API error)'),
      );
    }
  }

  async release(name: string): Promise<void> {
    await withRetry(async () => {
      const node = await this.get(name);
      if (!node) throw new KeelsonError('NOT_FOUND', `Kubernetes does not know node ${name}`);
      const seen = observeNode(node);
      if (!seen.isolated) return;
      if (!isOwnReason(seen.reason)) throw new KeelsonError('ISOLATION_REFUSED', `${name} is cordoned by someone else`);
      const taints = (node.spec?.taints ?? []).filter((t) => t.key !== TAINT_KEY);
      await this.patchSpec(name, node, {
        metadata: { annotations: { [REASON_ANNOTATION]: null } },
        spec: { unschedulable: null, taints: taints.length ? taints : null },
      });
      await this.setCondition(name, 'True', 'KeelsonReleased', 'released by keelson');
      this.opts.log.info({ node: name }, 'kubernetes node uncordoned');
    }, this.retry);
  }

  /** JSON merge patch guarded by the resourceVersion read (a concurrent change gets 409 and a retry). */
  private async patchSpec(name: string, node: V1Node, body: Record<string, unknown>): Promise<void> {
    const meta = body.metadata as Record<string, unknown>;
    meta.resourceVersion = node.metadata?.resourceVersion;
    try {
      await this.api.patchNode({ name, body }, mergePatch);
    } catch (err) {
      throw new KeelsonError('ACTUATOR_FAILED', `PATCH node ${name}: HTTP ${statusOf(err) ?? '?'}`, { cause: err });
    }
  }

  private async setCondition(name: string, status: 'True' | 'False', reason: string, message: string): Promise<void> {
    const at = new Date(this.now());
    const body = {
      status: {
        conditions: [{ type: CONDITION_TYPE, status, reason, message, lastHeartbeatTime: at, lastTransitionTime: at }],
      },
    };
    try {
      await this.api.patchNodeStatus({ name, body }, strategicPatch);
    } catch (err) {
      throw new KeelsonError('ACTUATOR_FAILED', `PATCH node ${name}/status: HTTP ${statusOf(err) ?? '?'}`, {
        cause: err,
      });
    }
  }

  /** Evict every pod on the node except DaemonSet pods; a 429 (PDB) is retried with backoff. */
  private async evictPods(name: string): Promise<void> {
    const pods = await this.api.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${name}` });
    for (const pod of pods.items) {
      if (pod.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet')) continue;
      const podName = pod.metadata?.name ?? '';
      const namespace = pod.metadata?.namespace ?? 'default';
      await withRetry(
        async () => {
          try {
            await this.api.createNamespacedPodEviction({
              name: podName,
              namespace,
              body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: podName, namespace } },
            });
          } catch (err) {
            if (statusOf(err) === 404) return;
            throw new KeelsonError('ACTUATOR_FAILED', `evict ${namespace}/${podName}: HTTP ${statusOf(err) ?? '?'}`, {
              cause: err,
            });
          }
        },
        { ...this.retry, retryable: () => true },
      );
      this.opts.log.info({ node: name, pod: `${namespace}/${podName}` }, 'pod evicted');
    }
  }
}
