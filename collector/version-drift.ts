/**
 * Version drift across nodes: given each node's facts (reported by the driver probe), flag the
 * nodes whose driver, CUDA, OFED or NCCL version differs from the fleet's most common one. Pure.
 */
import { capEvidence, type Observation } from '../core/finding.ts';

/** Facts keys compared by default, with a human name. */
export const DRIFT_KEYS: Readonly<Record<string, string>> = {
  driverVersion: 'NVIDIA driver',
  cudaVersion: 'CUDA (driver)',
  cudaToolkitVersion: 'CUDA toolkit',
  ofedVersion: 'OFED',
  ncclVersion: 'NCCL',
};

/** One node's facts as the collector holds them. */
export interface NodeFacts {
  node: string;
  facts: Readonly<Record<string, string | undefined>>;
}

/** A drift observation about one node. */
export interface DriftObservation extends Observation {
  node: string;
}

/** Compare dotted numeric versions: negative when a < b, 0 when equal, positive when a > b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number.parseInt(pa[i] ?? '0', 10);
    const y = Number.parseInt(pb[i] ?? '0', 10);
    const dx = Number.isNaN(x) ? 0 : x;
    const dy = Number.isNaN(y) ? 0 : y;
    if (dx !== dy) return dx - dy;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The fleet's reference value: most nodes have it; a tie goes to the newest version. */
function referenceOf(counts: Map<string, number>): string | undefined {
  let best: string | undefined;
  let bestCount = 0;
  for (const [v, n] of counts) {
    if (n > bestCount || (n === bestCount && best !== undefined && compareVersions(v, best) > 0)) {
      best = v;
      bestCount = n;
    }
  }
  return best;
}

/**
 * `driver.version.drift` (warn), one per node whose version of any compared key differs from
 * the fleet's reference (all differing keys named in it). Nodes without a fact are ignored for
 * that key; one version everywhere gives nothing.
 */
export function detectVersionDrift(
  nodes: readonly NodeFacts[],
  keys: Readonly<Record<string, string>> = DRIFT_KEYS,
): DriftObservation[] {
  const perNode = new Map<string, { said: string[]; evidence: string[] }>();
  for (const [key, label] of Object.entries(keys)) {
    const counts = new Map<string, number>();
    for (const n of nodes) {
      const v = n.facts[key];
      if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    if (counts.size < 2) continue;
    const reference = referenceOf(counts) as string;
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const spread = [...counts.entries()]
      .sort((a, b) => compareVersions(a[0], b[0]))
      .map(([v, c]) => `${v}x${c}`)
      .join(' ');
    for (const n of nodes) {
      const v = n.facts[key];
      if (!v || v === reference) continue;
      const entry = perNode.get(n.node) ?? { said: [], evidence: [] };
      entry.said.push(`${label} ${v} (fleet: ${reference} on ${counts.get(reference)} of ${total} nodes)`);
      entry.evidence.push(`${key}=${v} [${spread}]`);
      perNode.set(n.node, entry);
    }
  }
  return [...perNode.entries()].map(([node, e]) => ({
    node,
    code: 'driver.version.drift',
    component: 'driver',
    severity: 'warn',
    action: 'none',
    kind: 'condition',
    message: `${node} runs ${e.said.join('; ')}`,
    evidence: capEvidence(e.evidence.join('; ')),
  }));
}
