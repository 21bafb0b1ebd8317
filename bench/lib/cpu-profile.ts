/** Where a V8 CPU profile (`node --cpu-prof`) spent its time: self time by function, largest first. */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** A function's share of the profile's samples. */
export interface HotFunction {
  name: string;
  where: string;
  selfPercent: number;
}

/** The `top` functions by self time in a .cpuprofile, idle and GC kept as V8 names them. */
export function hottestFunctions(profile: { nodes: ProfileNode[] }, top = 15, root = ''): HotFunction[] {
  const byFn = new Map<string, HotFunction & { hits: number }>();
  let total = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    total += hits;
    const { functionName, url, lineNumber } = n.callFrame;
    const where = url ? `${url.replace(/^file:\/\//, '').replace(root, '')}:${lineNumber + 1}` : '';
    const key = `${functionName}@${where}`;
    const e = byFn.get(key) ?? { name: functionName || '(anonymous)', where, selfPercent: 0, hits: 0 };
    e.hits += hits;
    byFn.set(key, e);
  }
  return [...byFn.values()]
    .sort((a, b) => b.hits - a.hits)
    .slice(0, top)
    .map(({ name, where, hits }) => ({
      name,
      where,
      selfPercent: Math.round((hits / Math.max(1, total)) * 1000) / 10,
    }));
}
