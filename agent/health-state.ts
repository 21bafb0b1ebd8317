/**
 * The node's health state: the active findings, opened and cleared from what probes and
 * watchers observe. Pure (time comes in as an argument): conditions clear only after being
 * absent for several runs (hysteresis), events expire after a TTL, sticky findings last until
 * the next boot.
 */
import { type Finding, findingKey, type Observation, severityRank, worstSeverity } from '../core/finding.ts';
import type { FindingChange } from '../protocol/messages.ts';

export interface HealthOptions {
  clearAfterRuns: number;
  eventTtlMs: number;
}

/** The node's overall health: the worst active severity ('info' counts as healthy). */
export type NodeHealth = 'healthy' | 'warn' | 'degraded' | 'fatal';

interface Entry {
  finding: Finding;
  /** Which probe or watcher owns it: only its own runs clear a condition. */
  source: string;
  missedRuns: number;
  /** Boot on which a sticky finding was seen. */
  bootId?: string;
}

/** A persisted form of the state, so sticky findings survive an agent restart. */
export interface HealthSnapshot {
  bootId?: string;
  entries: { finding: Finding; source: string; bootId?: string }[];
}

export class HealthState {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly opts: HealthOptions,
    private bootId?: string,
  ) {}

  /** Restore from a persisted snapshot; sticky findings from an earlier boot are dropped. */
  static restore(snap: HealthSnapshot, opts: HealthOptions, bootId?: string): HealthState {
    const s = new HealthState(opts, bootId);
    for (const e of snap.entries) {
      const sameBoot = bootId === undefined || e.bootId === undefined || e.bootId === bootId;
      if (e.finding.sticky && !sameBoot) continue;
      // Non-sticky conditions are re-observed by their probes; events keep their TTL.
      s.entries.set(findingKey(e.finding), { ...e, missedRuns: 0 });
    }
    return s;
  }

  /**
   * Apply one successful run of `source`: every condition it owns that is not observed again
   * counts a missed run; events are recorded. Returns the changes to send.
   */
  applyRun(source: string, observations: Observation[], now: number): FindingChange[] {
    const changes: FindingChange[] = [];
    const seen = new Set<string>();
    for (const obs of observations) {
      const key = findingKey(obs);
      seen.add(key);
      const change = this.observe(source, obs, now);
      if (change) changes.push(change);
    }
    for (const [key, e] of this.entries) {
      if (e.source !== source || seen.has(key) || e.finding.kind !== 'condition' || e.finding.sticky) continue;
      e.missedRuns += 1;
      if (e.missedRuns >= this.opts.clearAfterRuns) {
        this.entries.delete(key);
        changes.push({ change: 'cleared', finding: { ...e.finding } });
      }
    }
    return changes;
  }

  /** Record observations that do not come from a periodic run (kernel-log events). */
  applyEvents(source: string, observations: Observation[], now: number): FindingChange[] {
    const changes: FindingChange[] = [];
    for (const obs of observations) {
      const change = this.observe(source, obs, now);
      if (change) changes.push(change);
    }
    return changes;
  }

  /** Clear one specific finding (e.g. a probe.failed once the probe works again). */
  clear(code: string, component: string): FindingChange[] {
    const key = findingKey({ code, component });
    const e = this.entries.get(key);
    if (!e) return [];
    this.entries.delete(key);
    return [{ change: 'cleared', finding: e.finding }];
  }

  /** Expire events whose TTL has passed since they were last seen. */
  expire(now: number): FindingChange[] {
    const changes: FindingChange[] = [];
    for (const [key, e] of this.entries) {
      if (e.finding.kind === 'event' && !e.finding.sticky && now - e.finding.lastSeen >= this.opts.eventTtlMs) {
        this.entries.delete(key);
        changes.push({ change: 'cleared', finding: e.finding });
      }
    }
    return changes;
  }

  /** The active findings, worst first. */
  findings(): Finding[] {
    return [...this.entries.values()]
      .map((e) => e.finding)
      .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.code.localeCompare(b.code));
  }

  health(): NodeHealth {
    const worst = worstSeverity([...this.entries.values()].map((e) => e.finding));
    return worst === undefined || worst === 'info' ? 'healthy' : worst;
  }

  snapshot(): HealthSnapshot {
    return {
      bootId: this.bootId,
      entries: [...this.entries.values()].map((e) => ({ finding: e.finding, source: e.source, bootId: e.bootId })),
    };
  }

  private observe(source: string, obs: Observation, now: number): FindingChange | undefined {
    const key = findingKey(obs);
    const at = obs.at ?? now;
    const prev = this.entries.get(key);
    if (!prev) {
      const finding: Finding = {
        code: obs.code,
        component: obs.component,
        severity: obs.severity,
        action: obs.action,
        kind: obs.kind,
        message: obs.message,
        evidence: obs.evidence,
        firstSeen: at,
        lastSeen: at,
        count: 1,
        ...(obs.sticky ? { sticky: true } : {}),
      };
      this.entries.set(key, { finding, source, missedRuns: 0, bootId: this.bootId });
      return { change: 'opened', finding: { ...finding } };
    }
    const f = prev.finding;
    prev.missedRuns = 0;
    const changed =
      f.severity !== obs.severity || f.action !== obs.action || f.message !== obs.message || obs.kind === 'event';
    f.lastSeen = Math.max(f.lastSeen, at);
    f.count += 1;
    f.severity = obs.severity;
    f.action = obs.action;
    f.message = obs.message;
    f.evidence = obs.evidence;
    if (obs.sticky) f.sticky = true;
    return changed ? { change: 'updated', finding: { ...f } } : undefined;
  }
}
