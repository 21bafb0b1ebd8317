/**
 * The four stability numbers and goodput over a window, from stored incidents and job spans.
 * Pure: MTBF = the window (a node's, a job's or the fleet's) ÷ its incidents; MTTD, MTTI and
 * MTTR are means over the incidents that reached each moment; goodput = (wall − lost) ÷ wall.
 */
import { lostTime } from './lost.ts';
import type { JobSpan } from './store.ts';
import {
  INCIDENT_CATEGORIES,
  type Incident,
  type IncidentCategory,
  type LostTime,
  type StabilityStats,
} from './types.ts';

const DAY_MS = 86_400_000;

function mean(xs: number[]): number | undefined {
  return xs.length ? Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) : undefined;
}

function zeroLost(): LostTime {
  return { detection: 0, identification: 0, recovery: 0, recompute: 0, slowdown: 0, total: 0, gpuHours: 0 };
}

function addLost(a: LostTime, b: LostTime): LostTime {
  return {
    detection: a.detection + b.detection,
    identification: a.identification + b.identification,
    recovery: a.recovery + b.recovery,
    recompute: a.recompute + b.recompute,
    slowdown: a.slowdown + b.slowdown,
    total: a.total + b.total,
    gpuHours: a.gpuHours + b.gpuHours,
  };
}

/**
 * One incident's times to detect (first evidence → detected), identify (detected → culprit
 * named) and recover (first evidence → recovered); undefined until the moment.
 */
export function incidentTimes(i: Incident): { ttd: number; tti?: number; ttr?: number } {
  const t = i.timeline;
  return {
    ttd: Math.max(0, t.detected - t.firstEvidence),
    ...(t.identified !== undefined ? { tti: Math.max(0, t.identified - t.detected) } : {}),
    ...(t.recovered !== undefined ? { ttr: Math.max(0, t.recovered - t.firstEvidence) } : {}),
  };
}

/**
 * The window's stability figures. `incidents` may hold more than the window: it is filtered here.
 * `observedSince` (when the collector first saw the fleet) shortens the window MTBF divides: a
 * fleet watched for an hour of a 7-day window has had one hour to fail in.
 */
export function stabilityStats(
  incidents: readonly Incident[],
  jobs: readonly JobSpan[],
  since: number,
  until: number,
  observedSince?: number,
): StabilityStats {
  const inWindow = incidents.filter((i) => i.timeline.firstEvidence >= since && i.timeline.firstEvidence <= until);
  const byCategory = Object.fromEntries(INCIDENT_CATEGORIES.map((c) => [c, 0])) as Record<IncidentCategory, number>;
  for (const i of inWindow) byCategory[i.category] += 1;
  const window = Math.max(1, until - Math.max(since, observedSince ?? since));
  const nodes: Record<string, number> = {};
  const perNode = new Map<string, number>();
  for (const i of inWindow) {
    const blamed = i.culprit ? [i.culprit.node] : i.nodes;
    for (const n of blamed) perNode.set(n, (perNode.get(n) ?? 0) + 1);
  }
  for (const [n, k] of perNode) nodes[n] = Math.round(window / k);
  const jobMtbf: Record<string, number> = {};
  const goodput = jobs
    .map((j) => {
      const wall = Math.max(0, Math.min(until, j.lastSeen) - Math.max(since, j.firstSeen));
      const mine = inWindow.filter((i) => i.job === j.job);
      const lost = mine.reduce((s, i) => s + (i.lost ?? lostTime(i, until)).total, 0);
      const productive = Math.max(0, wall - lost);
      if (mine.length && wall > 0) jobMtbf[j.job] = Math.round(wall / mine.length);
      return {
        job: j.job,
        gpus: j.gpus,
        wall,
        productive,
        goodput: wall > 0 ? productive / wall : 1,
        incidents: mine.length,
      };
    })
    .filter((g) => g.wall > 0)
    .sort((a, b) => a.job.localeCompare(b.job));
  const durations = inWindow.map(incidentTimes);
  const trend: StabilityStats['trend'] = [];
  for (let day = Math.floor(since / DAY_MS) * DAY_MS; day <= until; day += DAY_MS) {
    const those = inWindow.filter((i) => i.timeline.firstEvidence >= day && i.timeline.firstEvidence < day + DAY_MS);
    const cats: Partial<Record<IncidentCategory, number>> = {};
    for (const i of those) cats[i.category] = (cats[i.category] ?? 0) + 1;
    const mttr = mean(those.map(incidentTimes).flatMap((d) => (d.ttr !== undefined ? [d.ttr] : [])));
    trend.push({
      day: new Date(day).toISOString().slice(0, 10),
      incidents: those.length,
      byCategory: cats,
      ...(mttr !== undefined ? { mttr } : {}),
    });
  }
  const mttd = mean(durations.map((d) => d.ttd));
  const mtti = mean(durations.flatMap((d) => (d.tti !== undefined ? [d.tti] : [])));
  const mttr = mean(durations.flatMap((d) => (d.ttr !== undefined ? [d.ttr] : [])));
  return {
    since,
    until,
    incidents: inWindow.length,
    open: inWindow.filter((i) => i.status !== 'recovered').length,
    byCategory,
    mtbf: { ...(inWindow.length ? { fleet: Math.round(window / inWindow.length) } : {}), nodes, jobs: jobMtbf },
    ...(mttd !== undefined ? { mttd } : {}),
    ...(mtti !== undefined ? { mtti } : {}),
    ...(mttr !== undefined ? { mttr } : {}),
    lost: inWindow.filter((i) => i.lost).reduce((a, i) => addLost(a, i.lost!), zeroLost()),
    goodput,
    trend,
  };
}
