/** The collector's own metrics and the fleet's, in Prometheus form. */
import { Counter, Gauge, Registry } from 'prom-client';
import type { Fleet } from './fleet.ts';

export class CollectorMetrics {
  readonly registry = new Registry();
  readonly frames = new Counter({
    name: 'keelson_collector_frames_total',
    help: 'Frames received from agents, by message type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly duplicates = new Counter({
    name: 'keelson_collector_duplicate_messages_total',
    help: 'Sequenced messages ignored because they were already stored (replays).',
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'keelson_collector_rejected_total',
    help: 'Connections or frames refused, by error code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly sessions = new Gauge({
    name: 'keelson_collector_sessions',
    help: 'Agent sessions currently open.',
    registers: [this.registry],
  });

  constructor(fleet: Fleet) {
    const nodes = new Gauge({
      name: 'keelson_nodes',
      help: 'Nodes known to the collector by state and health.',
      labelNames: ['state', 'health'] as const,
      registers: [this.registry],
      collect() {
        nodes.reset();
        for (const n of fleet.listNodes()) nodes.inc({ state: n.state, health: n.health });
      },
    });
    const findings = new Gauge({
      name: 'keelson_findings_active',
      help: 'Active findings across the fleet by code and severity.',
      labelNames: ['code', 'severity'] as const,
      registers: [this.registry],
      collect() {
        findings.reset();
        for (const n of fleet.listNodes()) {
          for (const f of fleet.nodeDetail(n.id)?.findings ?? []) findings.inc({ code: f.code, severity: f.severity });
        }
      },
    });
  }
}
