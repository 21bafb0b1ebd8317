/** The collector's own metrics and the fleet's, in Prometheus form. */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Fleet } from './fleet.ts';

const LOOP_RESOLUTION_MS = 10;

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

  /**
   * The collector's event-loop delay, sampled every 10 ms (the collector runs on a control host,
   * so the timer's cost does not matter there as it does for the agent): every agent's message,
   * ack and dashboard update waits behind a stall.
   */
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });

  constructor(fleet: Fleet) {
    const loopDelay = this.loopDelay;
    loopDelay.enable();
    // The histogram's intervals include its resolution; what is past it is the stall.
    const stallSeconds = (ns: number) => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS) / 1000;
    new Gauge({
      name: 'keelson_collector_event_loop_delay_p99_seconds',
      help: "99th percentile of the collector's event-loop stalls since the previous scrape (sampled every 10 ms).",
      registers: [this.registry],
      collect() {
        this.set(loopDelay.count ? stallSeconds(loopDelay.percentile(99)) : 0);
      },
    });
    // Registered after the one above, so both read the period before it is reset.
    new Gauge({
      name: 'keelson_collector_event_loop_delay_max_seconds',
      help: 'Longest event-loop stall of the collector since the previous scrape (sampled every 10 ms).',
      registers: [this.registry],
      collect() {
        this.set(loopDelay.count ? stallSeconds(loopDelay.max) : 0);
        loopDelay.reset();
      },
    });
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
        // Straight from the held findings: a node's detail view copies its samples too (a scrape
        // at 10,000 nodes built 10,000 of them).
        fleet.forEachActiveFinding((f) => findings.inc({ code: f.code, severity: f.severity }));
      },
    });
  }

  /** Stop sampling the event loop (the collector is stopping). */
  close(): void {
    this.loopDelay.disable();
  }
}
