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
  const w = { window: windowLabel };
  const seconds = (ms: number | undefined) => (ms === undefined ? Number.NaN : ms / 1000);
  const byCategory: Gauge = new Gauge({
    name: 'keelson_incidents',
    help: 'Incidents whose first evidence falls in the window, by root-cause category.',
    labelNames: ['window', 'category'],
    registers: [registry],
    collect() {
      for (const [category, n] of Object.entries(get().byCategory)) byCategory.set({ ...w, category }, n);
    },
  });
  const open: Gauge = new Gauge({
    name: 'keelson_incidents_open',
    help: 'Incidents of the window not yet recovered.',
    labelNames: ['window'],
    registers: [registry],
    collect() {
      open.set(w, get().open);
    },
  });
  const mtbf: Gauge = new Gauge({
    name: 'keelson_mtbf_seconds',
    help: 'Mean time between failures over the window, fleet-wide (NaN with no incident).',
    labelNames: ['window'],
    registers: [registry],
    collect() {
      mtbf.set(w, seconds(get().mtbf.fleet));
    },
  });
  const mttd: Gauge = new Gauge({
    name: 'keelson_mttd_seconds',
    help: 'Mean time to detect (first evidence → detected) over the window.',
    labelNames: ['window'],
    registers: [registry],
    collect() {
      mttd.set(w, seconds(get().mttd));
    },
  });
  const mtti: Gauge = new Gauge({
    name: 'keelson_mtti_seconds',
    help: 'Mean time to identify the culprit (detected → identified) over the window.',
    labelNames: ['window'],
    registers: [registry],
    collect() {
      mtti.set(w, seconds(get().mtti));
    },
  });
  const mttr: Gauge = new Gauge({
    name: 'keelson_mttr_seconds',
    help: 'Mean time to recover (first evidence → training progressing again) over the window.',
    labelNames: ['window'],
    registers: [registry],
    collect() {
      mttr.set(w, seconds(get().mttr));
    },
  });
  const lost: Gauge = new Gauge({
    name: 'keelson_incident_lost_seconds',
    help: 'Training time lost in recovered incidents of the window, by part.',
    labelNames: ['window', 'part'],
    registers: [registry],
    collect() {
      const l = get().lost;
      for (const part of ['detection', 'identification', 'recovery', 'recompute', 'slowdown', 'total'] as const) {
        lost.set({ ...w, part }, l[part] / 1000);
      }
    },
  });
  const gpuHours: Gauge = new Gauge({
    name: 'keelson_incident_lost_gpu_hours',
    help: 'GPU-hours lost in recovered incidents of the window.',
    labelNames: ['window'],
    registers: [registry],
    collect() {
      gpuHours.set(w, get().lost.gpuHours);
    },
  });
  const goodput: Gauge = new Gauge({
    name: 'keelson_job_goodput_ratio',
    help: 'Productive share of each job’s GPU time over the window.',
    labelNames: ['window', 'training_job'],
    registers: [registry],
    collect() {
      goodput.reset();
      for (const j of get().goodput) goodput.set({ ...w, training_job: j.job }, j.goodput);
    },
  });
}
