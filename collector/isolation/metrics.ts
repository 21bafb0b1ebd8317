/**
 * Prometheus metrics of isolation, registered on the registry the collector passes: time to
 * isolate (finding first seen → node drained), isolations by trigger and result, breaker
 * state, pending approvals. Names follow Prometheus conventions (base units, _total).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BreakerStatus } from './breaker.ts';

export interface IsolationMetrics {
  timeToIsolate: Histogram<'actuator'>;
  isolations: Counter<'trigger' | 'result'>;
  releases: Counter<'trigger' | 'result'>;
  alertsSent: Counter<'result'>;
}

/** Register the isolation metrics; `status` is read at scrape time for the gauges. */
export function registerIsolationMetrics(
  registry: Registry,
  status: () => { breaker: BreakerStatus; pendingApprovals: number; isolatedNodes: number },
): IsolationMetrics {
  const tripped = new Gauge({
    name: 'keelson_isolation_breaker_tripped',
    help: '1 while the isolation breaker is tripped (isolations wait for an operator), else 0.',
    registers: [registry],
    collect() {
      tripped.set(status().breaker.tripped ? 1 : 0);
    },
  });
  const used = new Gauge({
    name: 'keelson_isolation_breaker_window_isolations',
    help: 'Automatic isolations counted in the breaker window.',
    registers: [registry],
    collect() {
      used.set(status().breaker.used);
    },
  });
  const cap = new Gauge({
    name: 'keelson_isolation_breaker_cap',
    help: 'Isolations the breaker allows per window (the smaller of the fraction and absolute caps).',
    registers: [registry],
    collect() {
      cap.set(status().breaker.cap);
    },
  });
  const pending = new Gauge({
    name: 'keelson_isolation_pending_approvals',
    help: 'Isolations waiting for an operator to approve them.',
    registers: [registry],
    collect() {
      pending.set(status().pendingApprovals);
    },
  });
  const isolated = new Gauge({
    name: 'keelson_isolation_isolated_nodes',
    help: 'Nodes Keelson currently holds isolated.',
    registers: [registry],
    collect() {
      isolated.set(status().isolatedNodes);
    },
  });
  return {
    timeToIsolate: new Histogram({
      name: 'keelson_isolation_time_to_isolate_seconds',
      help: 'Time from a finding first seen on a node to the node being isolated by an actuator.',
      labelNames: ['actuator'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    isolations: new Counter({
      name: 'keelson_isolations_total',
      help: 'Isolation attempts by trigger (policy, job-flow, operator, approval) and result.',
      labelNames: ['trigger', 'result'] as const,
      registers: [registry],
    }),
    releases: new Counter({
      name: 'keelson_isolation_releases_total',
      help: 'Releases by trigger (operator, auto-release) and result.',
      labelNames: ['trigger', 'result'] as const,
      registers: [registry],
    }),
    alertsSent: new Counter({
      name: 'keelson_alertmanager_posts_total',
      help: 'POSTs of alerts to Alertmanager by result.',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  };
}
