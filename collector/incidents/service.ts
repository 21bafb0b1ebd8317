/**
 * The collector's incident service: the tracker fed from the fleet's and the isolation engine's
 * events, written through to SQLite, and the figures computed from what is stored.
 */
import type Database from 'better-sqlite3';
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import type { Fleet, FleetCkptStateEvent, FleetFindingEvent, FleetTrainingEvent } from '../fleet.ts';
import type { AuditEntry } from '../isolation/audit-store.ts';
import { stabilityStats } from './stats.ts';
import { type IncidentQuery, IncidentStore } from './store.ts';
import { IncidentTracker } from './tracker.ts';
import type { Incident, StabilityStats } from './types.ts';

/** The window of the rolling figures (/metrics, the default of the API). */
export const ROLLING_WINDOW_MS = 7 * 86_400_000;

export class IncidentService {
  readonly store: IncidentStore;
  private readonly tracker: IncidentTracker;

  constructor(
    db: Database.Database,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** When the collector first saw any node (MTBF counts only time the fleet was watched). */
    private readonly observedSince: () => number | undefined = () => undefined,
  ) {
    this.store = new IncidentStore(db);
    this.tracker = new IncidentTracker({
      save: (i) => this.write(() => this.store.save(i)),
      saveJob: (s) => this.write(() => this.store.saveJob(s)),
      lastNumber: this.store.lastNumber(),
      active: this.store.listActive(),
      jobs: this.store.listJobs(),
    });
  }

  /** Listen to the fleet (findings, training, checkpoints) and the isolation audit. */
  attach(fleet: Fleet, audit: { on(event: 'audit', fn: (e: AuditEntry) => void): unknown }): void {
    const guard =
      <T>(fn: (e: T) => void) =>
      (e: T) => {
        try {
          fn(e);
        } catch (err) {
          this.log.error({ err }, 'incident tracking failed on an event');
        }
      };
    fleet.on(
      'finding',
      guard((e: FleetFindingEvent) => this.tracker.finding(e.node, e.change, e.finding, e.at)),
    );
    fleet.on(
      'training',
      guard((e: FleetTrainingEvent) => this.tracker.training(e.node, e.summary, e.at)),
    );
    fleet.on(
      'ckpt-state',
      guard((e: FleetCkptStateEvent) => this.tracker.checkpoint(e.state)),
    );
    audit.on(
      'audit',
      guard((e: AuditEntry) => this.tracker.audit(e)),
    );
  }

  list(q: IncidentQuery): Incident[] {
    return this.store.list(q);
  }

  get(id: string): Incident | undefined {
    return this.store.get(id);
  }

  /** The figures over [since, until] (until defaults to now). */
  stats(since: number, until = this.clock.now()): StabilityStats {
    // Stored spans (every job ever seen) overlaid with the tracker's fresher ones.
    const spans = new Map(this.store.listJobs().map((j) => [j.job, j]));
    for (const j of this.tracker.jobSpans()) spans.set(j.job, j);
    return stabilityStats(
      this.store.list({ since, limit: 5000 }),
      [...spans.values()],
      since,
      until,
      this.observedSince(),
    );
  }

  /** The rolling window's figures. */
  rolling(): StabilityStats {
    const now = this.clock.now();
    return this.stats(now - ROLLING_WINDOW_MS, now);
  }

  /** Write job spans through before the database closes. */
  close(): void {
    this.write(() => this.tracker.flushJobs());
  }

  private write(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err }, 'could not store an incident');
    }
  }
}
