/**
 * The stability numbers on /metrics: incidents by category and status, MTBF, MTTD, MTTI, MTTR,
 * lost time and goodput per job over a rolling window (default 7 days), computed at scrape time.
 */
import { Gauge, type Registry } from 'prom-client';
import type { StabilityStats } from './types.ts';

/** Register the gauges; `stats()` is called once per scrape. */
export function registerIncidentMetrics(
  registry: Registry,
  stats: () => StabilityStats,
  now: () => number,
  windowLabel = '7d',
): void {
  let cached: { at: number; s: StabilityStats } | undefined;
  // Every gauge's collect() runs on one scrape: compute the figures once for all of them.
  const get = () => {
    const t = now();
    if (!cached || Math.abs(t - cached.at) > 1000) cached = { at: t, s: stats() };
    return cached.s;
  };
  const gauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge, s: StabilityStats) => void) => {
    const g: Gauge = new Gauge({
      name,
      help,
      labelNames: ['window', ...labelNames],
      registers: [registry],
      collect() {
        g.reset();
        fill(g, get());
      },
    });
  };
  const w = { window: windowLabel };
  gauge(
    'keelson_incidents',
    'Incidents whose first evidence falls in the window, by root-cause category.',
    ['category'],
    (g, s) => {
      for (const [category, n] of Object.entries(s.byCategory)) g.set({ ...w, category }, n);
    },
  );
  gauge('keelson_incidents_open', 'Incidents of the window not yet recovered.', [], (g, s) => g.set(w, s.open));
  gauge('keelson_mtbf_seconds', 'Mean time between failures over the window, fleet-wide.', [], (g, s) => {
    if (s.mtbf.fleet !== undefined) g.set(w, s.mtbf.fleet / 1000);
  });
  for (const [name, key, what] of [
    ['keelson_mttd_seconds', 'mttd', 'detect (first evidence → detected)'],
    ['keelson_mtti_seconds', 'mtti', 'identify the culprit (detected → identified)'],
    ['keelson_mttr_seconds', 'mttr', 'recover (first evidence → training progressing again)'],
  ] as const) {
    gauge(name, `Mean time to ${what} over the window.`, [], (g, s) => {
      const v = s[key];
      if (v !== undefined) g.set(w, v / 1000);
    });
  }
  gauge(
    'keelson_incident_lost_seconds',
    'Training time lost in recovered incidents of the window, by part.',
    ['part'],
    (g, s) => {
      for (const part of ['detection', 'identification', 'recovery', 'recompute', 'slowdown', 'total'] as const) {
        g.set({ ...w, part }, s.lost[part] / 1000);
      }
    },
  );
  gauge('keelson_incident_lost_gpu_hours', 'GPU-hours lost in recovered incidents of the window.', [], (g, s) =>
    g.set(w, s.lost.gpuHours),
  );
  gauge('keelson_job_goodput_ratio', 'Productive share of each job’s GPU time over the window.', ['job'], (g, s) => {
    for (const j of s.goodput) g.set({ ...w, job: j.job }, j.goodput);
  });
}
