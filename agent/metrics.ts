/**
 * The agent's own health as Prometheus metrics: every probe run timed and its result counted,
 * the findings it holds, the outbox and the link to the collector, and the probes' samples.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../core/logger.ts';
import type { MetricSample } from '../probes/types.ts';
import { LoopStallMeter } from './loop-stall.ts';

const NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export class AgentMetrics {
  readonly registry = new Registry();
  readonly probeDuration = new Histogram({
    name: 'keelson_probe_duration_seconds',
    help: 'Duration of probe runs.',
    labelNames: ['probe'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
    registers: [this.registry],
  });
  readonly probeRuns = new Counter({
    name: 'keelson_probe_runs_total',
    help: 'Probe runs by result (ok, failed, timeout, unsupported).',
    labelNames: ['probe', 'result'] as const,
    registers: [this.registry],
  });
  readonly probeUp = new Gauge({
    name: 'keelson_probe_up',
    help: '1 when the probe last ran successfully, 0 when it failed or timed out.',
    labelNames: ['probe'] as const,
    registers: [this.registry],
  });
  readonly findingsActive = new Gauge({
    name: 'keelson_findings_active',
    help: 'Active findings on this node by severity.',
    labelNames: ['severity'] as const,
    registers: [this.registry],
  });
  readonly outboxPending = new Gauge({
    name: 'keelson_outbox_pending_messages',
    help: 'Messages waiting for the collector to acknowledge them.',
    registers: [this.registry],
  });
  readonly outboxDropped = new Gauge({
    name: 'keelson_outbox_dropped_messages',
    help: 'Messages dropped because the outbox was full (metrics and superseded snapshots first).',
    registers: [this.registry],
  });
  readonly collectorConnected = new Gauge({
    name: 'keelson_collector_connected',
    help: '1 while the agent has a session with the collector.',
    registers: [this.registry],
  });
  readonly reconnects = new Counter({
    name: 'keelson_collector_reconnects_total',
    help: 'Connection attempts to the collector after the first.',
    registers: [this.registry],
  });
  private readonly sampleGauges = new Map<string, { gauge: Gauge<string>; labels: string[] }>();
  /** Probe runs and API requests hold it, so the agent's stalls are timed finely while it works (loop-stall.ts). */
  readonly loopStall: LoopStallMeter;

  constructor(
    private readonly log: Logger,
    opts: { loopStallTimer?: 'work' | 'always' } = {},
  ) {
    this.loopStall = new LoopStallMeter({ always: opts.loopStallTimer === 'always' });
    const loopStall = this.loopStall;
    new Gauge({
      name: 'keelson_event_loop_delay_max_seconds',
      help: 'Longest event-loop stall of the agent since the previous scrape (timed to 10 ms while it works, else bounded by its busy time).',
      registers: [this.registry],
      collect() {
        this.set(loopStall.maxMs() / 1000);
      },
    });
    // Registered after the one above, so both read the period before it is reset.
    new Gauge({
      name: 'keelson_event_loop_delay_timed_max_seconds',
      help: 'Longest event-loop stall the agent timed while it worked, since the previous scrape (no bounds).',
      registers: [this.registry],
      collect() {
        this.set(loopStall.timedMaxMs() / 1000);
        loopStall.reset();
      },
    });
  }

  /** Stop measuring (the daemon is stopping). */
  close(): void {
    this.loopStall.close();
  }

  /** Export a probe's samples as `keelson_<name>` gauges; a sample whose label set changes is skipped. */
  recordSamples(samples: MetricSample[]): void {
    for (const s of samples) {
      const name = `keelson_${s.name}`;
      if (!NAME_RE.test(name)) continue;
      const labelNames = Object.keys(s.labels ?? {}).sort();
      let entry = this.sampleGauges.get(name);
      if (!entry) {
        if (!labelNames.every((l) => NAME_RE.test(l))) continue;
        try {
          entry = {
            gauge: new Gauge({ name, help: `Probe sample ${s.name}.`, labelNames, registers: [this.registry] }),
            labels: labelNames,
          };
        } catch (err) {
          this.log.warn({ err, name }, 'cannot register probe metric');
          continue;
        }
        this.sampleGauges.set(name, entry);
      }
      if (entry.labels.join(',') !== labelNames.join(',')) continue;
      if (labelNames.length) entry.gauge.set(s.labels ?? {}, s.value);
      else entry.gauge.set(s.value);
    }
  }
}
