/**
 * The Kubernetes manifests: every object in every file is valid against the Kubernetes schemas
 * (kubernetes-models), the RBAC grants exactly what the actuator needs, and the agent's
 * DaemonSet lands on GPU nodes, stays on nodes Keelson isolated, and mounts what it reads.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonSet, Deployment } from 'kubernetes-models/apps/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { agentConfigSchema } from '../../agent/config.ts';
import { collectorConfigSchema } from '../../collector/config.ts';
import { REPO_ROOT } from '../helpers/processes.ts';

const DIR = join(REPO_ROOT, 'packaging/kubernetes');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

// biome-ignore lint/suspicious/noExplicitAny: each model class takes its own object type
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/DaemonSet': DaemonSet,
  'apps/v1/Deployment': Deployment,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
};

const manifestFiles = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');

function loadFile(file: string): K8sObject[] {
  const docs = parseAllDocuments(readFileSync(join(DIR, file), 'utf8'));
  for (const d of docs) if (d.errors.length) throw new Error(`${file}: ${d.errors[0]?.message}`);
  return docs.map((d) => d.toJS() as K8sObject).filter(Boolean);
}

const byFile = new Map(manifestFiles.map((f) => [f, loadFile(f)]));
const all = [...byFile.values()].flat();
const find = <T = K8sObject>(kind: string, name: string) => {
  const o = all.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name}`);
  return o as unknown as T;
};

describe('Kubernetes manifests', () => {
  it('every object is a valid Kubernetes object of a known kind', () => {
    expect(all.length).toBeGreaterThanOrEqual(14);
    for (const o of all) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      expect(Model, `${o.apiVersion} ${o.kind} ${o.metadata?.name}`).toBeDefined();
      expect(() => new Model!(o).validate(), `${o.kind} ${o.metadata.name}`).not.toThrow();
      if (o.kind !== 'Namespace' && !o.kind.startsWith('Cluster')) expect(o.metadata.namespace).toBe('keelson');
    }
  });

  it('validation is not a rubber stamp: a malformed DaemonSet is refused', () => {
    const ds = structuredClone(find<DaemonSet>('DaemonSet', 'keelson-agent'));
    (ds.spec!.template.spec!.containers[0] as { resources?: unknown }).resources = { requests: { cpu: [1] } };
    expect(() => new DaemonSet(ds).validate()).toThrow(/resources/);
    const noSelector = structuredClone(find<DaemonSet>('DaemonSet', 'keelson-agent'));
    delete (noSelector.spec as { selector?: unknown }).selector;
    expect(() => new DaemonSet(noSelector).validate()).toThrow(/selector/);
  });

  it('kustomization lists every manifest except the opt-in eviction rights', () => {
    const k = parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect([...k.resources].sort()).toEqual(manifestFiles.filter((f) => f !== 'collector-rbac-eviction.yaml').sort());
  });
});

describe('RBAC is least privilege', () => {
  const rules = (name: string) =>
    (find<ClusterRole>('ClusterRole', name).rules ?? []).map((r) => ({
      groups: r.apiGroups,
      resources: r.resources,
      verbs: [...r.verbs].sort(),
      ...(r.resourceNames ? { names: r.resourceNames } : {}),
    }));

  it('the collector may read, cordon, taint and condition nodes and record events, nothing more', () => {
    expect(rules('keelson-collector')).toEqual([
      { groups: [''], resources: ['nodes'], verbs: ['get', 'list', 'patch', 'watch'] },
      { groups: [''], resources: ['nodes/status'], verbs: ['patch'] },
      { groups: [''], resources: ['events'], verbs: ['create'] },
    ]);
  });

  it('eviction rights live in their own opt-in file', () => {
    expect(rules('keelson-collector-eviction')).toEqual([
      { groups: [''], resources: ['pods'], verbs: ['list'] },
      { groups: [''], resources: ['pods/eviction'], verbs: ['create'] },
    ]);
    const evictionFile = byFile.get('collector-rbac-eviction.yaml') ?? [];
    expect(evictionFile.map((o) => o.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding']);
    for (const [file, objs] of byFile) {
      if (file === 'collector-rbac-eviction.yaml') continue;
      expect(JSON.stringify(objs), file).not.toMatch(/pods\/eviction/);
    }
  });

  it('each binding gives its role to the collector service account only; the agent has no API token', () => {
    for (const name of ['keelson-collector', 'keelson-collector-eviction']) {
      const b = find<ClusterRoleBinding>('ClusterRoleBinding', name);
      expect(b.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name });
      expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: 'keelson-collector', namespace: 'keelson' }]);
    }
    const ds = find<DaemonSet>('DaemonSet', 'keelson-agent');
    expect(ds.spec!.template.spec!.automountServiceAccountToken).toBe(false);
    expect(find<ServiceAccount>('ServiceAccount', 'keelson-agent').automountServiceAccountToken).toBe(false);
  });
});

describe('the agent DaemonSet', () => {
  const ds = find<DaemonSet>('DaemonSet', 'keelson-agent');
  const pod = ds.spec!.template.spec!;
  const container = pod.containers[0]!;

  it('runs on GPU nodes and keeps running on nodes Keelson isolated', () => {
    expect(pod.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    for (const effect of ['NoSchedule', 'NoExecute']) {
      expect(pod.tolerations).toContainEqual({ key: 'keelson.io/unhealthy', operator: 'Exists', effect });
    }
    expect(pod.hostPID).toBe(false);
    expect(pod.hostNetwork).toBe(false);
  });

  it('mounts /dev/shm, /sys (read-only), /dev/kmsg, its state, the checkpoint tier and the socket folder', () => {
    const hostPaths = Object.fromEntries(
      (pod.volumes ?? []).filter((v) => v.hostPath).map((v) => [v.name, v.hostPath!.path]),
    );
    const mounts = Object.fromEntries((container.volumeMounts ?? []).map((m) => [m.mountPath, m]));
    const expectMount = (hostPath: string, mountPath: string, readOnly: boolean) => {
      const m = mounts[mountPath];
      expect(m, mountPath).toBeDefined();
      expect(hostPaths[m!.name], mountPath).toBe(hostPath);
      expect(Boolean(m!.readOnly), `${mountPath} read-only`).toBe(readOnly);
    };
    expectMount('/dev/shm', '/dev/shm', false);
    expectMount('/sys', '/host/sys', true);
    expectMount('/proc', '/host/proc', true);
    expectMount('/dev/kmsg', '/dev/kmsg', true);
    expectMount('/var/lib/keelson/agent', '/var/lib/keelson/agent', false);
    expectMount('/var/lib/keelson/checkpoints', '/var/lib/keelson/checkpoints', false);
    expectMount('/run/keelson', '/run/keelson', false);
    expect(container.args).toEqual(expect.arrayContaining(['--socket', '/run/keelson/agent.sock']));
  });

  it('its config is a valid agent config whose roots are the mounted host folders', () => {
    const cm = find<ConfigMap>('ConfigMap', 'keelson-agent-config');
    const raw = parse(cm.data!['agent.yaml']!) as Record<string, unknown>;
    const cfg = agentConfigSchema.parse({ nodeId: 'gpu-node-1', stateDir: '/var/lib/keelson/agent', ...raw });
    expect(cfg.roots).toEqual({ sys: '/host/sys', proc: '/host/proc', dev: '/dev' });
  });

  it('asks for small resources and sets limits', () => {
    expect(container.resources?.requests).toEqual({ cpu: '10m', memory: '128Mi' });
    expect(container.resources?.limits).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true });
  });
});

describe('the collector', () => {
  const dep = find<Deployment>('Deployment', 'keelson-collector');
  const pod = dep.spec!.template.spec!;
  const container = pod.containers[0]!;

  it('is one unprivileged replica on its persistent volume, served by the Service', () => {
    expect(dep.spec!.replicas).toBe(1);
    expect(dep.spec!.strategy?.type).toBe('Recreate');
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    const claim = (pod.volumes ?? []).find((v) => v.persistentVolumeClaim)?.persistentVolumeClaim?.claimName;
    expect(find<PersistentVolumeClaim>('PersistentVolumeClaim', claim!).spec?.accessModes).toEqual(['ReadWriteOnce']);
    const svc = find<Service>('Service', 'keelson-collector');
    expect(svc.spec?.selector).toEqual(dep.spec!.selector.matchLabels);
    expect(svc.spec?.ports?.[0]).toMatchObject({ port: 7300, targetPort: 'http' });
    expect(pod.serviceAccountName).toBe('keelson-collector');
  });

  it('its config is a valid collector config that reads the agents’ token Secret', () => {
    const cm = find<ConfigMap>('ConfigMap', 'keelson-collector-config');
    const cfg = collectorConfigSchema.parse({
      dataDir: '/var/lib/keelson/collector',
      ...(parse(cm.data!['collector.yaml']!) as object),
    });
    expect(cfg.host).toBe('0.0.0.0');
    const tokenVolume = (pod.volumes ?? []).find((v) => v.secret)?.secret?.secretName;
    expect(tokenVolume).toBe(find<Secret>('Secret', 'keelson-agent-token').metadata?.name);
    const mount = (container.volumeMounts ?? []).find((m) => m.mountPath === '/etc/keelson/tokens');
    expect(`${mount?.mountPath}/token`).toBe(cfg.tokenFile);
  });
});
