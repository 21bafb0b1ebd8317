/**
 * The isolation engine the collector wires in: finding changes in; policy decisions, the
 * breaker, safety checks, actuators, notifiers, alerts and the audit out. Decisions are the
 * pure modules beside it; this class only sequences them (one node at a time) and does the I/O.
 */
import { EventEmitter } from 'node:events';
import { type Clock, systemClock } from '../../core/clock.ts';
import { describeError, KeelsonError } from '../../core/errors.ts';
import { type Finding, severityRank } from '../../core/finding.ts';
import type { Logger } from '../../core/logger.ts';
import type { IsolationEvent, IsolationNotifier, NodeActuator } from '../actuators/types.ts';
import type { AlertTracker, AmAlert } from '../alerting/alert-tracker.ts';
import type { AlertmanagerClient } from '../alerting/alertmanager.ts';
import { addApproval, type PendingApproval, removeApproval } from './approvals.ts';
import type { AuditEntry, AuditLog, AuditQuery, NewAuditEntry } from './audit-store.ts';
import {
  type BreakerConfig,
  type BreakerStatus,
  breakerCount,
  breakerRequest,
  breakerReset,
  breakerStatusOf,
} from './breaker.ts';
import { type EngineMemory, loadMemory, saveMemory } from './engine-memory.ts';
import { countJobFault, type JobFlowConfig, type JobRestartHook, jobOfComponent } from './job-flow.ts';
import { pruneLadder } from './ladder.ts';
import type { IsolationMetrics } from './metrics.ts';
import type { CompiledPolicy } from './policy.ts';
import { evaluatePolicy, type Occurrence } from './policy-eval.ts';
import {
  type IsolationRecord,
  mayIsolate,
  mayRelease,
  type ObservedNode,
  ownerReason,
  reconcileRecord,
} from './safety.ts';
import type { IsolationStateStore } from './state-store.ts';

export const ISOLATION_MODES = ['enforce', 'dry-run', 'approve-first'] as const;
export type IsolationMode = (typeof ISOLATION_MODES)[number];

export interface IsolationEngineOptions {
  policy: CompiledPolicy;
  mode: IsolationMode;
  breaker: BreakerConfig;
  jobFlow: JobFlowConfig;
  /** Release a node Keelson isolated after it has been healthy this long; undefined = never (default). */
  autoReleaseAfterMs?: number;
  actuators: readonly NodeActuator[];
  notifiers?: readonly IsolationNotifier[];
  alerts?: { tracker: AlertTracker; client: AlertmanagerClient };
  restartHook?: JobRestartHook;
  /** The latest committed checkpoint step of a job (from the checkpoint manifests). */
  latestCheckpointStep?: (job: string) => number | undefined;
  /** The job a node runs, for alert labels and restarts of node-level findings. */
  jobOfNode?: (node: string) => string | undefined;
  /** Nodes in the fleet for the breaker's fraction; default: nodes the engine has heard of. */
  fleetSize?: () => number;
  audit: AuditLog;
  state?: IsolationStateStore;
  metrics?: IsolationMetrics;
  log: Logger;
  clock?: Clock;
}

/** A finding change as the fleet reports it. */
export interface FindingChangeInput {
  change: 'opened' | 'updated' | 'cleared';
  finding: Finding;
}

/** What the engine shows about one node. */
export interface NodeIsolationView {
  node: string;
  record?: IsolationRecord;
  pending?: PendingApproval;
  healthySince?: number;
}

const OCCURRENCE_MEMORY_MS = 24 * 3_600_000;
const UNHEALTHY = severityRank('degraded');

export class IsolationEngine extends EventEmitter {
  private readonly m: EngineMemory;
  private readonly known = new Set<string>();
  private readonly active = new Map<string, Map<string, Finding>>();
  private readonly healthySince = new Map<string, number>();
  private occurrences: Occurrence[] = [];
  private readonly locks = new Map<string, Promise<unknown>>();
  private alertChain: Promise<void> = Promise.resolve();
  private readonly clock: Clock;

  constructor(private readonly o: IsolationEngineOptions) {
    super();
    this.m = loadMemory(o.state);
    this.clock = o.clock ?? systemClock;
    for (const node of Object.keys(this.m.records)) this.known.add(node);
  }

  // ── inputs ────────────────────────────────────────────────────────────────────────────

  /** A finding opened, repeated or cleared on `node`. Never rejects; errors are logged and audited. */
  async onFindingChange(node: string, input: FindingChangeInput, now: number): Promise<void> {
    try {
      await this.findingChange(node, input, now);
    } catch (err) {
      this.o.log.error({ err, node, code: input.finding.code }, 'isolation engine failed on a finding');
    }
  }

  /** Fleet liveness and/or what a scheduler shows about a node (detects operator returns). */
  async onNodeState(
    node: string,
    update: { liveness?: 'online' | 'offline' | 'lost'; observed?: readonly ObservedNode[] },
    now: number,
  ): Promise<void> {
    this.known.add(node);
    if (update.observed) this.reconcile(node, update.observed, now);
  }

  /** Alerts firing now; undefined when no Alertmanager is configured. */
  firingAlerts(): AmAlert[] | undefined {
    return this.o.alerts?.tracker.firing();
  }

  /** Periodic work: re-send alerts, notice operator returns, auto-release, prune memory. */
  async tick(now: number): Promise<void> {
    this.occurrences = this.occurrences.filter((o) => o.at > now - OCCURRENCE_MEMORY_MS);
    this.m.ladder = pruneLadder(this.o.policy.ladder, this.m.ladder, now);
    for (const rec of Object.values(this.m.records)) {
      if (rec.status !== 'isolated') continue;
      await this.withNode(rec.node, async () => {
        const observed = await this.readAll(rec.node).catch(() => undefined);
        if (observed) this.reconcile(rec.node, observed, now);
      });
      const since = this.healthySince.get(rec.node);
      const after = this.o.autoReleaseAfterMs;
      if (
        after !== undefined &&
        since !== undefined &&
        now - since >= after &&
        this.m.records[rec.node]?.status === 'isolated'
      ) {
        await this.release(rec.node, 'auto-release').catch((err) =>
          this.o.log.warn({ err, node: rec.node }, 'auto-release failed'),
        );
      }
    }
    saveMemory(this.o.state, this.m, now);
    await this.flushAlerts(now);
  }

  // ── operator commands ─────────────────────────────────────────────────────────────────

  /** An operator isolates a node (any mode; counted by the breaker but not capped). */
  async isolate(node: string, reason: string, who: string): Promise<AuditEntry> {
    const now = this.clock.now();
    this.known.add(node);
    return this.withNode(node, async () => {
      const observed = await this.readAll(node);
      const verdict = mayIsolate(observed, undefined, now);
      if (!verdict.ok && verdict.why !== 'already-isolated') {
        this.write({
          ts: now,
          kind: 'operator',
          node,
          what: 'isolate',
          why: reason,
          who,
          result: `refused: ${verdict.why}`,
        });
        throw new KeelsonError('ISOLATION_REFUSED', `${node}: ${verdict.why}`);
      }
      const tagged = ownerReason('manual', `by:${who}`, reason);
      this.m.breaker = breakerCount(this.m.breaker, node, now);
      return this.actuate(node, tagged, { code: 'manual', firstSeen: now, evidence: reason }, who, 'operator');
    });
  }

  /** Release a node Keelson isolated; refuses a node whose drain is not Keelson's. */
  async release(node: string, who: string): Promise<AuditEntry> {
    const now = this.clock.now();
    return this.withNode(node, async () => {
      const observed = await this.readAll(node);
      const verdict = mayRelease(observed);
      const trigger = who === 'auto-release' ? 'auto-release' : 'operator';
      if (!verdict.ok) {
        this.o.metrics?.releases.inc({ trigger, result: 'refused' });
        this.write({
          ts: now,
          kind: 'operator',
          node,
          what: 'release',
          why: 'release requested',
          who,
          result: `refused: ${verdict.why}`,
        });
        throw new KeelsonError('ISOLATION_REFUSED', `${node}: ${verdict.why}`);
      }
      const results = await this.each(node, (a) => a.release(node));
      const failed = results.filter((r) => !r.ok);
      const rec = this.m.records[node];
      if (failed.length === 0) {
        if (rec) this.m.records[node] = { ...rec, status: 'released', releasedAt: this.clock.now() };
        this.m.pending = removeApproval(this.m.pending, { node });
        this.resolveHeld(node, now);
      }
      const result = failed.length ? `failed: ${failed.map((f) => `${f.name}: ${f.error}`).join('; ')}` : 'done';
      this.o.metrics?.releases.inc({ trigger, result: failed.length ? 'failed' : 'done' });
      saveMemory(this.o.state, this.m, now);
      void this.notify({ type: 'release', node, at: now, detail: { who, result } });
      void this.flushAlerts(now);
      return this.write({
        ts: now,
        kind: 'operator',
        node,
        what: 'release',
        why: rec ? `isolated since ${new Date(rec.since).toISOString()}: ${rec.reason}` : 'release requested',
        who,
        result,
        detail: { actuators: results },
      });
    });
  }

  /** Carry out a pending isolation. */
  async approve(id: string, who: string): Promise<AuditEntry> {
    const p = this.m.pending.find((x) => x.id === id);
    if (!p) throw new KeelsonError('NOT_FOUND', `no pending approval ${id}`);
    const now = this.clock.now();
    return this.withNode(p.node, async () => {
      this.m.pending = removeApproval(this.m.pending, { id });
      const observed = await this.readAll(p.node);
      const verdict = mayIsolate(observed, this.m.records[p.node], p.evidenceFirstSeen);
      if (!verdict.ok) {
        this.resolveHeld(p.node, now);
        saveMemory(this.o.state, this.m, now);
        return this.write({
          ts: now,
          kind: 'operator',
          node: p.node,
          what: 'approve',
          why: p.reason,
          who,
          result: `skipped: ${verdict.why}`,
        });
      }
      this.m.breaker = breakerCount(this.m.breaker, p.node, now);
      this.resolveHeld(p.node, now);
      return this.actuate(
        p.node,
        p.reason,
        { code: p.code, firstSeen: p.evidenceFirstSeen, evidence: p.evidence },
        who,
        'approval',
      );
    });
  }

  /** Drop a pending isolation. */
  reject(id: string, who: string): AuditEntry {
    const p = this.m.pending.find((x) => x.id === id);
    if (!p) throw new KeelsonError('NOT_FOUND', `no pending approval ${id}`);
    const now = this.clock.now();
    this.m.pending = removeApproval(this.m.pending, { id });
    this.resolveHeld(p.node, now);
    saveMemory(this.o.state, this.m, now);
    return this.write({ ts: now, kind: 'operator', node: p.node, what: 'reject', why: p.reason, who, result: 'done' });
  }

  breakerStatus(): BreakerStatus & { pending: PendingApproval[]; mode: IsolationMode } {
    return {
      ...breakerStatusOf(this.m.breaker, this.o.breaker, this.fleetSize(), this.clock.now()),
      pending: [...this.m.pending],
      mode: this.o.mode,
    };
  }

  breakerReset(who: string): AuditEntry {
    const now = this.clock.now();
    const was = this.m.breaker.tripped;
    this.m.breaker = breakerReset(this.m.breaker);
    this.o.alerts?.tracker.resolve('breaker', now);
    saveMemory(this.o.state, this.m, now);
    void this.flushAlerts(now);
    return this.write({
      ts: now,
      kind: 'breaker',
      what: 'breaker-reset',
      why: was ? 'operator reset a tripped breaker' : 'breaker was not tripped',
      who,
      result: 'done',
    });
  }

  /** Audit entries, newest first. */
  audit(q: AuditQuery = {}): AuditEntry[] {
    return this.o.audit.query(q);
  }

  /**
   * Load a node's active findings at collector start without judging them again (they were
   * judged when they arrived); keeps alerts and the healthy-since clock right.
   */
  seed(node: string, findings: readonly Finding[], now: number): void {
    this.known.add(node);
    for (const f of findings) {
      const job = jobOfComponent(f.component) ?? this.o.jobOfNode?.(node);
      this.o.alerts?.tracker.onFinding(node, 'opened', f, job, now);
      this.trackActive(node, 'opened', f, now);
    }
    if (findings.length === 0) this.healthySince.set(node, now);
  }

  /** Isolation state of every node the engine knows (records, pending approvals). */
  nodes(): NodeIsolationView[] {
    const names = new Set([...this.known, ...Object.keys(this.m.records), ...this.m.pending.map((p) => p.node)]);
    return [...names].sort().map((node) => {
      const record = this.m.records[node];
      const pending = this.m.pending.find((p) => p.node === node);
      const hs = this.healthySince.get(node);
      return {
        node,
        ...(record ? { record } : {}),
        ...(pending ? { pending } : {}),
        ...(hs !== undefined ? { healthySince: hs } : {}),
      };
    });
  }

  /** Wait until every queued actuation and alert delivery is done (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const pending = [...this.locks.values(), this.alertChain];
      await Promise.allSettled(pending);
      if ([...this.locks.values()].length === 0) break;
    }
  }

  // ── the finding flow ──────────────────────────────────────────────────────────────────

  private async findingChange(node: string, { change, finding: f }: FindingChangeInput, now: number): Promise<void> {
    this.known.add(node);
    const job = jobOfComponent(f.component) ?? this.o.jobOfNode?.(node);
    this.o.alerts?.tracker.onFinding(node, change, f, job, now);
    const prev = this.trackActive(node, change, f, now);
    if (change === 'cleared') {
      void this.flushAlerts(now);
      return;
    }
    // A new finding counts once (however many lines the agent folded into it); a repeated event
    // counts its new lines; a condition that persists is the same occurrence however often it
    // is observed (a hang re-reported every tick must not read as many faults).
    const fresh = change === 'opened' || !prev || prev.firstSeen !== f.firstSeen;
    const newOccurrences = fresh ? 1 : f.kind === 'event' ? f.count - prev.count : 0;
    if (newOccurrences <= 0) {
      void this.flushAlerts(now);
      return;
    }
    const occ: Occurrence = {
      node,
      code: f.code,
      component: f.component,
      severity: f.severity,
      action: f.action,
      kind: f.kind,
      at: now,
      n: newOccurrences,
    };
    this.occurrences.push(occ);
    const decision = evaluatePolicy(this.o.policy, occ, this.occurrences, this.m.ladder);
    if (decision.rules.length === 0 || decision.actions.length === 0) {
      void this.flushAlerts(now);
      return;
    }
    this.write({
      ts: now,
      kind: 'decision',
      node,
      what: decision.actions.join(','),
      why: decision.why.join('; '),
      evidence: f.evidence,
      who: 'policy',
      result: this.o.mode === 'enforce' ? 'decided' : this.o.mode,
      detail: { code: f.code, component: f.component, severity: f.severity, rules: decision.rules, job },
    });
    if (decision.ladderStep && this.o.mode !== 'dry-run') {
      this.m.ladder.push({ node, code: f.code, step: decision.ladderStep, at: now });
    }
    for (const rec of decision.actions.filter((a) => a === 'reset-gpu' || a === 'reboot' || a === 'inspect-hardware')) {
      this.write({
        ts: now,
        kind: 'action',
        node,
        what: `recommend-${rec}`,
        why: decision.why.join('; '),
        evidence: f.evidence,
        who: 'policy',
        result: this.o.mode === 'dry-run' ? 'dry-run' : 'recommended',
      });
      void this.notify({
        type: 'recommend',
        node,
        code: f.code,
        at: now,
        detail: { action: rec, component: f.component },
      });
    }
    const work: Promise<unknown>[] = [];
    if (decision.actions.includes('isolate')) {
      const reason = ownerReason(f.code, f.component, f.message);
      work.push(this.withNode(node, () => this.autoIsolate(node, reason, f, 'policy', now)));
    }
    if (decision.actions.includes('restart-job')) work.push(this.jobFault(node, job, f, now));
    await Promise.all(work);
    saveMemory(this.o.state, this.m, now);
    await this.flushAlerts(now);
  }

  /** Keep the node's active findings and when it last became healthy; returns the previous copy. */
  private trackActive(node: string, change: string, f: Finding, now: number): Finding | undefined {
    let set = this.active.get(node);
    if (!set) {
      set = new Map();
      this.active.set(node, set);
    }
    const key = `${f.code}\u0000${f.component}`;
    const prev = set.get(key);
    if (change === 'cleared') set.delete(key);
    else set.set(key, { ...f });
    const unhealthy = [...set.values()].some((x) => severityRank(x.severity) >= UNHEALTHY);
    if (unhealthy) this.healthySince.delete(node);
    else if (!this.healthySince.has(node)) this.healthySince.set(node, now);
    return prev;
  }

  private async autoIsolate(
    node: string,
    reason: string,
    f: Pick<Finding, 'code' | 'component' | 'firstSeen' | 'evidence'>,
    trigger: 'policy' | 'job-flow',
    now: number,
  ): Promise<void> {
    let observed: ObservedNode[];
    try {
      observed = await this.readAll(node);
    } catch (err) {
      this.o.metrics?.isolations.inc({ trigger, result: 'failed' });
      this.write({
        ts: now,
        kind: 'action',
        node,
        what: 'isolate',
        why: reason,
        evidence: f.evidence,
        who: trigger,
        result: `failed: cannot read node state: ${describeError(err)}`,
      });
      return;
    }
    this.reconcile(node, observed, now);
    const verdict = mayIsolate(observed, this.m.records[node], f.firstSeen);
    if (!verdict.ok) {
      if (verdict.why !== 'already-isolated') {
        this.o.metrics?.isolations.inc({ trigger, result: 'skipped' });
        this.write({
          ts: now,
          kind: 'action',
          node,
          what: 'isolate',
          why: reason,
          evidence: f.evidence,
          who: trigger,
          result: `skipped: ${verdict.why}`,
        });
      }
      return;
    }
    if (this.m.pending.some((p) => p.node === node)) return;
    if (this.o.mode === 'dry-run') {
      this.o.metrics?.isolations.inc({ trigger, result: 'dry-run' });
      this.write({
        ts: now,
        kind: 'action',
        node,
        what: 'isolate',
        why: reason,
        evidence: f.evidence,
        who: trigger,
        result: 'dry-run',
      });
      return;
    }
    if (this.o.mode === 'approve-first') {
      this.hold(node, reason, f, 'approve-first', trigger, now);
      return;
    }
    const wasTripped = this.m.breaker.tripped;
    const b = breakerRequest(this.m.breaker, this.o.breaker, this.fleetSize(), node, now);
    this.m.breaker = b.state;
    if (!b.allowed) {
      if (!wasTripped && b.state.tripped) this.tripped(b.why, now);
      this.hold(node, reason, f, 'breaker', trigger, now);
      return;
    }
    await this.actuate(node, reason, f, trigger, trigger);
  }

  private hold(
    node: string,
    reason: string,
    f: Pick<Finding, 'code' | 'component' | 'firstSeen' | 'evidence'>,
    cause: PendingApproval['cause'],
    trigger: string,
    now: number,
  ): void {
    const r = addApproval(this.m.pending, {
      node,
      reason,
      code: f.code,
      component: f.component,
      evidence: f.evidence,
      evidenceFirstSeen: f.firstSeen,
      cause,
      createdAt: now,
    });
    this.m.pending = r.list;
    if (!r.added) return;
    this.o.metrics?.isolations.inc({ trigger, result: 'pending-approval' });
    this.o.alerts?.tracker.raise(
      `held\u0000${node}`,
      { alertname: 'KeelsonIsolationHeld', node, code: f.code, severity: 'warning', cause },
      { summary: `isolation of ${node} waits for an operator (${cause})`, reason, approval: r.approval.id },
      now,
      now,
    );
    this.write({
      ts: now,
      kind: 'action',
      node,
      what: 'isolate',
      why: reason,
      evidence: f.evidence,
      who: trigger,
      result: 'pending-approval',
      detail: { approval: r.approval.id, cause },
    });
    void this.notify({
      type: 'pending-approval',
      node,
      code: f.code,
      reason,
      at: now,
      detail: { approval: r.approval.id, cause },
    });
  }

  private tripped(why: string, now: number): void {
    this.o.log.warn({ why }, 'isolation breaker tripped');
    this.o.alerts?.tracker.raise(
      'breaker',
      { alertname: 'KeelsonIsolationBreakerTripped', severity: 'critical' },
      { summary: `isolation breaker tripped: ${why}` },
      now,
      now,
    );
    this.write({ ts: now, kind: 'breaker', what: 'breaker-trip', why, who: 'breaker', result: 'tripped' });
    void this.notify({ type: 'breaker-tripped', reason: why, at: now });
  }

  private resolveHeld(node: string, now: number): void {
    this.o.alerts?.tracker.resolve(`held\u0000${node}`, now);
  }

  /** Run every actuator's isolate and record the outcome. */
  private async actuate(
    node: string,
    reason: string,
    f: { code: string; firstSeen: number; evidence: string },
    who: string,
    trigger: string,
  ): Promise<AuditEntry> {
    const results = await this.each(node, (a) => a.isolate(node, reason));
    const done = this.clock.now();
    const okCount = results.filter((r) => r.ok).length;
    if (okCount > 0) {
      this.m.records[node] = {
        node,
        status: 'isolated',
        reason,
        code: f.code,
        since: done,
        evidenceFirstSeen: f.firstSeen,
      };
      for (const r of results.filter((x) => x.ok)) {
        this.o.metrics?.timeToIsolate.observe({ actuator: r.name }, Math.max(0, done - f.firstSeen) / 1000);
      }
    }
    const failed = results.filter((r) => !r.ok);
    const result =
      failed.length === 0
        ? 'done'
        : `${okCount ? 'partial' : 'failed'}: ${failed.map((x) => `${x.name}: ${x.error}`).join('; ')}`;
    this.o.metrics?.isolations.inc({ trigger, result: failed.length === 0 ? 'done' : okCount ? 'partial' : 'failed' });
    saveMemory(this.o.state, this.m, done);
    void this.notify({ type: 'isolate', node, code: f.code, reason, at: done, detail: { who, result } });
    if (okCount > 0) this.emit('isolated', { node, reason, at: done });
    return this.write({
      ts: done,
      kind: 'action',
      node,
      what: 'isolate',
      why: reason,
      evidence: f.evidence,
      who,
      result,
      detail: { actuators: results, msSinceFirstSeen: done - f.firstSeen },
    });
  }

  private async jobFault(node: string, job: string | undefined, f: Finding, now: number): Promise<void> {
    if (!job) {
      this.write({
        ts: now,
        kind: 'job',
        node,
        what: 'restart-job',
        why: `${f.code} ${f.component}`,
        evidence: f.evidence,
        who: 'job-flow',
        result: 'skipped: no job known for the node',
      });
      return;
    }
    const key = `${job}\u0000${node}`;
    const { count, verdict } = countJobFault(this.m.jobFaults[key], this.o.jobFlow, job, node, now);
    this.m.jobFaults[key] = count;
    if (this.o.mode === 'dry-run') {
      this.write({
        ts: now,
        kind: 'job',
        node,
        what: verdict.kind,
        why: `${f.code}: fault ${count.failures} of job ${job} on ${node}`,
        evidence: f.evidence,
        who: 'job-flow',
        result: 'dry-run',
        detail: { job },
      });
      return;
    }
    if (verdict.kind === 'restart-local') {
      const why = `${f.code}: fault ${verdict.attempt} of job ${job} on ${node} (local restart ${verdict.attempt}/${this.o.jobFlow.maxLocalRestarts})`;
      let result = 'skipped: no restart hook';
      if (this.o.restartHook) {
        result = await this.o.restartHook
          .restartLocal({ job, node, attempt: verdict.attempt, reason: why })
          .then(() => 'done')
          .catch((err) => `failed: ${describeError(err)}`);
      }
      this.write({
        ts: now,
        kind: 'job',
        node,
        what: 'restart-job',
        why,
        evidence: f.evidence,
        who: 'job-flow',
        result,
        detail: { job, attempt: verdict.attempt },
      });
      void this.notify({
        type: 'restart-job',
        node,
        code: f.code,
        at: now,
        detail: { job, attempt: verdict.attempt, result },
      });
      return;
    }
    const step = this.o.latestCheckpointStep?.(job);
    const why = `${f.code}: job ${job} failed ${verdict.failures}× on ${node} (more than ${this.o.jobFlow.maxLocalRestarts} local restarts)`;
    await this.withNode(node, () =>
      this.autoIsolate(
        node,
        ownerReason(f.code, f.component, `job ${job} failed ${verdict.failures}x here`),
        f,
        'job-flow',
        now,
      ),
    );
    const req = { job, node, reason: why, ...(step !== undefined ? { checkpointStep: step } : {}) };
    let result = 'marked';
    if (this.o.restartHook) {
      result = await this.o.restartHook
        .rescheduleJob(req)
        .then(() => 'done')
        .catch((err) => `failed: ${describeError(err)}`);
    }
    this.emit('reschedule', req);
    this.write({
      ts: now,
      kind: 'job',
      node,
      what: 'reschedule-job',
      why,
      evidence: f.evidence,
      who: 'job-flow',
      result,
      detail: { ...req },
    });
    void this.notify({ type: 'reschedule-job', node, code: f.code, at: now, detail: { ...req } });
  }

  // ── plumbing ──────────────────────────────────────────────────────────────────────────

  private write(e: NewAuditEntry): AuditEntry {
    const entry = this.o.audit.append(e);
    this.emit('audit', entry);
    return entry;
  }

  private fleetSize(): number {
    return this.o.fleetSize?.() ?? this.known.size;
  }

  private reconcile(node: string, observed: readonly ObservedNode[], now: number): void {
    const rec = this.m.records[node];
    if (!rec) return;
    const next = reconcileRecord(rec, observed, now);
    if (next === rec) return;
    this.m.records[node] = next;
    this.write({
      ts: now,
      kind: 'operator',
      node,
      what: next.status === 'returned' ? 'operator-return' : 'operator-takeover',
      why:
        next.status === 'returned'
          ? 'the node is no longer isolated although Keelson isolated it: an operator returned it; only new evidence isolates it again'
          : 'someone else replaced Keelson\u2019s reason; Keelson will not release it',
      who: 'scheduler',
      result: 'noted',
      detail: { observed },
    });
  }

  private async readAll(node: string): Promise<ObservedNode[]> {
    return Promise.all(this.o.actuators.map((a) => a.read(node)));
  }

  private async each(
    node: string,
    fn: (a: NodeActuator) => Promise<void>,
  ): Promise<{ name: string; ok: boolean; error?: string }[]> {
    return Promise.all(
      this.o.actuators.map(async (a) => {
        try {
          await fn(a);
          return { name: a.name, ok: true };
        } catch (err) {
          this.o.log.warn({ err, node, actuator: a.name }, 'actuator failed');
          return { name: a.name, ok: false, error: describeError(err) };
        }
      }),
    );
  }

  /** Run `fn` after every earlier task of the same node (no two actuations of a node at once). */
  private withNode<T>(node: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(node) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(node, settled);
    void settled.then(() => {
      if (this.locks.get(node) === settled) this.locks.delete(node);
    });
    return run;
  }

  private async notify(event: IsolationEvent): Promise<void> {
    await Promise.all(
      (this.o.notifiers ?? []).map((n) =>
        n.notify(event).catch((err) => this.o.log.warn({ err, notifier: n.name, type: event.type }, 'notifier failed')),
      ),
    );
  }

  /** Send what the alert tracker says is due; failures stay due for the next tick. */
  private flushAlerts(now: number): Promise<void> {
    const alerts = this.o.alerts;
    if (!alerts) return Promise.resolve();
    this.alertChain = this.alertChain.then(async () => {
      const { keys, alerts: due } = alerts.tracker.due(now);
      if (due.length === 0) return;
      try {
        await alerts.client.post(due);
        alerts.tracker.markSent(keys, this.clock.now());
        this.o.metrics?.alertsSent.inc({ result: 'ok' });
      } catch (err) {
        this.o.metrics?.alertsSent.inc({ result: 'failed' });
        this.o.log.warn({ err }, 'alertmanager did not take the alerts; will retry');
      }
    });
    return this.alertChain;
  }
}
