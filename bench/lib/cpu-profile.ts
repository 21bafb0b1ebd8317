/** Where a V8 CPU profile (`node --cpu-prof`) spent its time: self time by function, largest first. */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** The parts of a .cpuprofile this reads. */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime?: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** A function's share of the profile's samples. */
export interface HotFunction {
  name: string;
  where: string;
  selfPercent: number;
}

/** Options: a window on V8's monotonic clock (µs, as process.hrtime), and whether idle counts. */
export interface HotOptions {
  fromUs?: number;
  toUs?: number;
  /** Leave `(idle)` out, so shares are of the time the thread was busy. */
  busyOnly?: boolean;
}

/** Sample counts per node id, within the window when the profile has per-sample times. */
function hitsByNode(profile: CpuProfile, o: HotOptions): Map<number, number> {
  const hits = new Map<number, number>();
  if (profile.samples && profile.timeDeltas && profile.startTime !== undefined) {
    let t = profile.startTime;
    profile.samples.forEach((id, i) => {
      t += profile.timeDeltas![i] ?? 0;
      if (t >= (o.fromUs ?? -Infinity) && t <= (o.toUs ?? Infinity)) hits.set(id, (hits.get(id) ?? 0) + 1);
    });
    return hits;
  }
  for (const n of profile.nodes) hits.set(n.id, n.hitCount ?? 0);
  return hits;
}

/** The `top` functions by self time in a .cpuprofile, idle and GC kept as V8 names them. */
export function hottestFunctions(profile: CpuProfile, top = 15, root = '', o: HotOptions = {}): HotFunction[] {
  const byFn = new Map<string, HotFunction & { hits: number }>();
  const hitsOf = hitsByNode(profile, o);
  let total = 0;
  for (const n of profile.nodes) {
    const { functionName, url, lineNumber } = n.callFrame;
    if (o.busyOnly && functionName === '(idle)') continue;
    const hits = hitsOf.get(n.id) ?? 0;
    total += hits;
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
