import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerIncidentMetrics } from './metrics.ts';
import { stabilityStats } from './stats.ts';
import type { Incident } from './types.ts';

const recovered: Incident = {
  id: 'inc-1',
  status: 'recovered',
  title: 'gpu.xid.79 on n1 gpu:0',
  category: 'gpu',
  rootCode: 'gpu.xid.79',
  job: 'j',
  nodes: ['n1'],
  culprit: { node: 'n1', component: 'gpu:0', code: 'gpu.xid.79' },
  timeline: { firstEvidence: 10_000, detected: 12_000, identified: 12_000, mitigated: 13_000, recovered: 40_000 },
  stepReached: 100,
  restoredStep: 90,
  stepTimeMs: 1000,
  gpus: 16,
  stalled: true,
  lost: {
    detection: 2000,
    identification: 0,
    recovery: 28_000,
    recompute: 10_000,
    slowdown: 0,
    total: 40_000,
    gpuHours: (40_000 * 16) / 3.6e6,
  },
  active: [],
  codes: ['gpu.xid.79'],
  events: [],
};

describe('incident metrics', () => {
  it('exposes the rolling figures on /metrics, computed once per scrape', async () => {
    const registry = new Registry();
    let calls = 0;
    registerIncidentMetrics(
      registry,
      () => {
        calls += 1;
        return stabilityStats([recovered], [{ job: 'j', firstSeen: 0, lastSeen: 100_000, gpus: 16 }], 0, 100_000);
      },
      () => 100_000,
    );
    const text = await registry.metrics();
    expect(calls).toBe(1);
    expect(text).toContain('keelson_incidents{window="7d",category="gpu"} 1');
    expect(text).toContain('keelson_incidents{window="7d",category="network"} 0');
    expect(text).toContain('keelson_mtbf_seconds{window="7d"} 100');
    expect(text).toContain('keelson_mttd_seconds{window="7d"} 2');
    expect(text).toContain('keelson_mtti_seconds{window="7d"} 0');
    expect(text).toContain('keelson_mttr_seconds{window="7d"} 30');
    expect(text).toContain('keelson_incident_lost_seconds{window="7d",part="recompute"} 10');
    expect(text).toContain('keelson_incident_lost_seconds{window="7d",part="total"} 40');
    expect(text).toContain('keelson_job_goodput_ratio{window="7d",training_job="j"} 0.6');
    expect(text).toContain('keelson_incidents_open{window="7d"} 0');
  });
});
