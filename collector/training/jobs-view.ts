/**
 * The job views the dashboard reads (`GET /api/jobs`, `GET /api/jobs/:id`), built from the
 * per-node training history and the train.* findings. Pure: history, findings and time in.
 */
import type { JobSeries } from './job-history.ts';

/** The part of a stored finding the views use. */
export interface JobFindingRef {
  node: string;
  code: string;
  component: string;
  severity: string;
  message: string;
  evidence: string;
  firstSeen: number;
  active: boolean;
}

/** A job that has not stepped for this long is stopped. */
const STOPPED_AFTER_MS = 10 * 60_000;
/** The chart's window and its number of buckets at most. */
const WINDOW_MS = 30 * 60_000;
const MAX_BUCKETS = 180;
const MAX_SERIES = 256;

function jobState(series: JobSeries, findings: readonly JobFindingRef[], now: number): string {
  const active = findings.filter((f) => f.active);
  if (active.some((f) => f.code === 'train.hang' || f.code === 'train.hang.suspect')) return 'hung';
  if (active.some((f) => f.code === 'train.straggler')) return 'straggler';
  if (active.some((f) => f.code === 'train.slow')) return 'slow';
  const last = Math.max(...Object.values(series.nodes).map((n) => n.latest.lastProgressAt));
  return now - last > STOPPED_AFTER_MS ? 'stopped' : 'running';
}

/**
 * The nodes that run the job now: a node whose ranks went idle while others still train left it
 * (replaced after a failure); when every node is idle the job stopped and all are listed.
 */
export function currentNodes(series: JobSeries): string[] {
  const all = Object.entries(series.nodes);
  const training = all.filter(([, n]) => n.latest.phase !== 'idle');
  return (training.length ? training : all).map(([id]) => id).sort();
}

/** One row of `GET /api/jobs`. */
export function jobSummary(series: JobSeries, findings: readonly JobFindingRef[], now: number) {
  const nodes = currentNodes(series);
  const latest = nodes.map((id) => series.nodes[id]!.latest);
  const times = latest.map((l) => l.stepTimeMs).filter((x): x is number => x !== undefined);
  return {
    id: series.job,
    name: series.job,
    state: jobState(series, findings, now),
    nodes,
    ranks: latest.reduce((s, l) => s + l.ranks, 0),
    step: Math.max(...latest.map((l) => l.lastStep)),
    ...(times.length ? { stepTimeMs: times.sort((a, b) => a - b)[Math.floor(times.length / 2)] } : {}),
    lastStepAt: Math.max(...latest.map((l) => l.lastProgressAt)),
  };
}

/** `GET /api/jobs/:id`: step times per node on one time axis, stragglers, events. */
export function jobDetail(
  series: JobSeries,
  findings: readonly JobFindingRef[],
  now: number,
  checkpoint: unknown = null,
) {
  const from = now - WINDOW_MS;
  const points = Object.values(series.nodes).flatMap((n) => n.points.filter((p) => p.at >= from));
  const start = points.length ? Math.min(...points.map((p) => p.at)) : now;
  const bucketMs = Math.max(1000, Math.ceil((now - start) / MAX_BUCKETS));
  const buckets = Math.max(1, Math.ceil((now - start + 1) / bucketMs));
  const t = Array.from({ length: buckets }, (_, i) => start + i * bucketMs);
  const series_ = Object.entries(series.nodes)
    .sort(([a], [b]) => a.localeCompare(b))
    .slice(0, MAX_SERIES)
    .map(([node, s]) => {
      const values: (number | null)[] = new Array(buckets).fill(null);
      for (const p of s.points) {
        if (p.at < start || p.stepTimeMs === undefined) continue;
        values[Math.min(buckets - 1, Math.floor((p.at - start) / bucketMs))] = p.stepTimeMs;
      }
      return { node, values };
    });
  // The loss on the same axis: each bucket takes the newest loss any node reported in it.
  const loss: (number | null)[] = new Array(buckets).fill(null);
  for (const s of Object.values(series.nodes)) {
    for (const p of s.points) {
      if (p.at < start || p.loss === undefined) continue;
      loss[Math.min(buckets - 1, Math.floor((p.at - start) / bucketMs))] = p.loss;
    }
  }
  const mine = findings.filter((f) => f.component === `job:${series.job}`);
  return {
    job: jobSummary(series, mine, now),
    stepTimes: { t, series: series_ },
    stragglers: [...new Set(mine.filter((f) => f.active && f.code === 'train.straggler').map((f) => f.node))],
    loss: { t, values: loss },
    events: mine
      .map((f) => ({
        ts: f.firstSeen,
        kind: f.code.replace(/^train\./, '').split('.')[0] ?? 'event',
        node: f.node,
        code: f.code,
        severity: f.severity,
        message: f.message,
        evidence: f.evidence,
      }))
      .sort((a, b) => b.ts - a.ts),
    checkpoint,
  };
}
