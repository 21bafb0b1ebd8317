/**
 * Which alerts Alertmanager must hear about, and when: a finding at or above the alerting
 * severity opens an alert (labels node, code, severity, job); it is re-sent while active (so
 * Alertmanager keeps it) and sent once more with endsAt when the finding clears. An alert not
 * yet delivered stays due until it is. Pure: time passed in.
 */
import { type Finding, type Severity, severityRank } from '../../core/finding.ts';

/** An alert in Alertmanager's API v2 form. */
export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
}

export interface AlertTrackerConfig {
  /** Re-send active alerts this often (Alertmanager forgets alerts past their endsAt). */
  resendMs: number;
  minSeverity: Severity;
  generatorURL?: string;
}

interface Tracked {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: number;
  endsAt?: number;
  lastSentAt?: number;
}

/** Alertmanager label values: short, printable. */
const label = (v: string) => v.replace(/[\r\n]+/g, ' ').slice(0, 256);

export class AlertTracker {
  private readonly alerts = new Map<string, Tracked>();
  constructor(private readonly cfg: AlertTrackerConfig) {}

  /** The alert key of a finding on a node. */
  static findingKey(node: string, f: Pick<Finding, 'code' | 'component'>): string {
    return `finding\u0000${node}\u0000${f.code}\u0000${f.component}`;
  }

  /** Track a finding change; true when something became due. */
  onFinding(node: string, change: 'opened' | 'updated' | 'cleared', f: Finding, job: string | undefined, now: number) {
    const key = AlertTracker.findingKey(node, f);
    if (change === 'cleared') return this.resolve(key, now);
    if (severityRank(f.severity) < severityRank(this.cfg.minSeverity)) return this.resolve(key, now);
    return this.raise(
      key,
      {
        alertname: 'KeelsonFinding',
        node,
        code: f.code,
        severity: f.severity,
        component: f.component,
        ...(job ? { job } : {}),
      },
      { summary: f.message, evidence: f.evidence.slice(0, 1024), action: f.action },
      f.firstSeen || now,
      now,
    );
  }

  /** Open or refresh an alert; true when it is new or its labels changed (due now). */
  raise(
    key: string,
    labels: Record<string, string>,
    annotations: Record<string, string>,
    startsAt: number,
    _now: number,
  ): boolean {
    const clean = Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, label(v)]));
    const prev = this.alerts.get(key);
    if (prev && prev.endsAt === undefined && JSON.stringify(prev.labels) === JSON.stringify(clean)) {
      prev.annotations = annotations;
      return false;
    }
    // Changed labels are a different alert to Alertmanager: resolve the old one first.
    if (prev && prev.endsAt === undefined && JSON.stringify(prev.labels) !== JSON.stringify(clean)) {
      this.alerts.set(`${key}\u0000old\u0000${startsAt}`, { ...prev, endsAt: _now, lastSentAt: undefined });
    }
    this.alerts.set(key, { labels: clean, annotations, startsAt });
    return true;
  }

  /** Resolve an active alert; true when a resolution became due. */
  resolve(key: string, now: number): boolean {
    const prev = this.alerts.get(key);
    if (!prev || prev.endsAt !== undefined) return false;
    prev.endsAt = now;
    prev.lastSentAt = undefined;
    return true;
  }

  /** Alerts to send now: new, due for re-sending, or resolved and not yet delivered. */
  due(now: number): { keys: string[]; alerts: AmAlert[] } {
    const keys: string[] = [];
    const alerts: AmAlert[] = [];
    for (const [key, a] of this.alerts) {
      const firing = a.endsAt === undefined;
      if (firing && a.lastSentAt !== undefined && now - a.lastSentAt < this.cfg.resendMs) continue;
      keys.push(key);
      alerts.push({
        labels: a.labels,
        annotations: a.annotations,
        startsAt: new Date(a.startsAt).toISOString(),
        // Firing alerts carry an endsAt a few resends ahead, so a dead collector's alerts expire.
        endsAt: new Date(firing ? now + 4 * this.cfg.resendMs : Math.max(a.endsAt!, a.startsAt)).toISOString(),
        ...(this.cfg.generatorURL ? { generatorURL: this.cfg.generatorURL } : {}),
      });
    }
    return { keys, alerts };
  }

  /** Alerts firing now (not yet resolved), for the dashboard. */
  firing(): AmAlert[] {
    return [...this.alerts.values()]
      .filter((a) => a.endsAt === undefined)
      .map((a) => ({ labels: a.labels, annotations: a.annotations, startsAt: new Date(a.startsAt).toISOString() }));
  }

  /** Record a delivery: firing alerts wait `resendMs`, resolved ones are forgotten. */
  markSent(keys: readonly string[], now: number): void {
    for (const key of keys) {
      const a = this.alerts.get(key);
      if (!a) continue;
      if (a.endsAt !== undefined) this.alerts.delete(key);
      else a.lastSentAt = now;
    }
  }

  /** Active alerts (for the API and tests). */
  active(): { key: string; labels: Record<string, string> }[] {
    return [...this.alerts].filter(([, a]) => a.endsAt === undefined).map(([key, a]) => ({ key, labels: a.labels }));
  }
}
