/**
 * Incident tracking: groups findings, training progress, isolations, restarts and checkpoint
 * restores into incidents with a timeline (first evidence → detected → identified → mitigated →
 * recovered) and the time each cost. Decisions only: events and their times go in, incidents
 * come out through `save` (the store writes them through). Rules, in short:
 *
 * - A finding of severity ≥ degraded (or any train.* ≥ warn) opens an incident unless an active
 *   one already holds its node or the job its node runs; then it joins that one.
 * - A finding on a component (a GPU, a port, a disk), a hang suspect or a straggler names the
 *   culprit: identified.
 * - Isolating one of its nodes, or restarting/rescheduling its job, mitigates it.
 * - Training stalled (a hang, a restart from a checkpoint): the last good step is the first
 *   evidence, and it recovers when the job steps again after the restart. Otherwise (a
 *   straggler, a node outside a job) it recovers when its findings clear or the culprit is
 *   isolated; a straggler's cost is its extra step time.
 */
import { type Finding, findingKey, severityRank } from '../../core/finding.ts';
import type { CkptState } from '../../protocol/checkpoint.ts';
import type { TrainingSummary } from '../../protocol/training.ts';
import type { AuditEntry } from '../isolation/audit-store.ts';
import { jobOfComponent } from '../isolation/job-flow.ts';
import { causeOf, rootCause } from './cause.ts';
import { type JobChange, type JobSnapshot, JobTrack } from './job-track.ts';
import { lostTime } from './lost.ts';
import type { JobSpan } from './store.ts';
import type { Incident, IncidentEvent } from './types.ts';

export interface TrackerDeps {
  /** Write one incident through (called on every change). */
  save(i: Incident): void;
  /** Write a job's span (first/last seen, GPUs) through. */
  saveJob(s: JobSpan): void;
  /** The highest incident number already used. */
  lastNumber: number;
  /** Incidents not yet recovered, as stored. */
  active: Incident[];
  /** Job spans as stored. */
  jobs: JobSpan[];
}

/** Events kept per incident (the first ones and the latest, the rest are summarised). */
const MAX_EVENTS = 200;
/** A job span is written through at most this often. */
const JOB_SAVE_MS = 30_000;
/** A job silent this long is forgotten in memory (its span stays stored) unless an incident holds it. */
const JOB_FORGET_MS = 86_400_000;
/** Training findings that name the node at fault. */
const NAMING_TRAINING = new Set(['train.hang.suspect', 'train.straggler']);
/** Training findings that mean the job stopped stepping. */
const STALL_CODES = new Set(['train.hang', 'train.hang.suspect', 'train.exit']);

/** Whether a finding opens (or joins as evidence) an incident. */
export function opensIncident(f: Pick<Finding, 'code' | 'severity'>): boolean {
  if (f.code.startsWith('probe.') || f.code === 'driver.version.drift') return false;
  const r = severityRank(f.severity);
  return r >= severityRank('degraded') || (f.code.startsWith('train.') && r >= severityRank('warn'));
}

/** Whether a finding names the culprit (a component of a node, not just "the job"). */
export function namesCulprit(f: Pick<Finding, 'code' | 'component'>): boolean {
  if (NAMING_TRAINING.has(f.code)) return true;
  if (f.code.startsWith('train.')) return false;
  return !f.component.startsWith('job:');
}

export class IncidentTracker {
  private readonly open = new Map<string, Incident>();
  private readonly jobs = new Map<string, JobTrack>();
  private readonly jobSavedAt = new Map<string, number>();
  private number: number;

  constructor(private readonly d: TrackerDeps) {
    this.number = d.lastNumber;
    for (const i of d.active) this.open.set(i.id, i);
    for (const s of d.jobs) {
      const t = new JobTrack(s.job, s.firstSeen);
      t.lastSeen = s.lastSeen;
      t.storedGpus = s.gpus;
      this.jobs.set(s.job, t);
      this.jobSavedAt.set(s.job, s.lastSeen);
    }
  }

  /** Incidents not yet recovered, oldest first. */
  active(): Incident[] {
    return [...this.open.values()];
  }

  /** The job spans as tracked now (for goodput). */
  jobSpans(): JobSpan[] {
    return [...this.jobs.values()].map((t) => ({
      job: t.job,
      firstSeen: t.firstSeen,
      lastSeen: t.lastSeen,
      gpus: t.gpus,
    }));
  }

  /** A finding opened, changed or cleared on a node. */
  finding(node: string, change: 'opened' | 'updated' | 'cleared', f: Finding, at: number): void {
    const key = `${node}\u0000${findingKey(f)}`;
    if (change === 'cleared') {
      for (const i of this.open.values()) {
        const idx = i.active.indexOf(key);
        if (idx < 0) continue;
        i.active.splice(idx, 1);
        this.event(i, { at, kind: 'cleared', node, code: f.code, component: f.component, text: `${f.code} cleared` });
        if (!i.stalled && i.active.length === 0) this.recover(i, at, 'its findings cleared');
        else this.d.save(i);
      }
      return;
    }
    if (!opensIncident(f)) return;
    if (this.holding(key)) return;
    const job = jobOfComponent(f.component) ?? this.jobOf(node, at);
    const i = this.incidentFor(node, job) ?? this.create(job, f, at);
    this.join(i, node, key, f, at);
  }

  /** A node's training summary. */
  training(node: string, s: TrainingSummary, at: number): void {
    let t = this.jobs.get(s.job);
    if (!t) {
      t = new JobTrack(s.job, at);
      this.jobs.set(s.job, t);
    }
    const ch = t.update(node, s, at);
    for (const i of this.open.values()) {
      if (i.job === s.job) this.onJobChange(i, t, node, ch, s);
    }
    const saved = this.jobSavedAt.get(s.job);
    if (saved === undefined || at - saved >= JOB_SAVE_MS) {
      this.jobSavedAt.set(s.job, at);
      this.d.saveJob({ job: t.job, firstSeen: t.firstSeen, lastSeen: t.lastSeen, gpus: t.gpus });
      this.forgetOldJobs(at);
    }
  }

  /** Drop jobs silent for a day from memory (their spans are stored), so years of jobs cost nothing. */
  private forgetOldJobs(now: number): void {
    const held = new Set([...this.open.values()].map((i) => i.job));
    for (const [job, t] of this.jobs) {
      if (now - t.lastSeen > JOB_FORGET_MS && !held.has(job)) {
        this.jobs.delete(job);
        this.jobSavedAt.delete(job);
      }
    }
  }

  /** A node's checkpoint state: the jobs' committed steps. */
  checkpoint(state: CkptState): void {
    for (const j of state.jobs) {
      const t = this.jobs.get(j.job);
      if (t && j.committed !== undefined) t.committed = Math.max(t.committed ?? 0, j.committed);
    }
  }

  /** An isolation audit entry: isolations, restarts and reschedules mitigate. */
  audit(e: AuditEntry): void {
    const ok = /^(done|partial|marked)/.test(e.result);
    if (!ok || !e.node) return;
    if (e.what === 'isolate' && e.kind === 'action') {
      for (const i of this.open.values()) {
        if (!i.nodes.includes(e.node)) continue;
        this.mitigate(i, e.ts, 'isolated', e.node, `${e.node} isolated: ${e.why}`);
        const t = i.job ? this.jobs.get(i.job) : undefined;
        // Taking a node out of a running job interrupts the job: it must restart without it.
        if (t?.activeOn(e.node, e.ts) !== undefined) this.stall(i, t.snapshot());
        if (!i.stalled && (!i.culprit || i.culprit.node === e.node)) this.recover(i, e.ts, `${e.node} out of service`);
        else this.d.save(i);
      }
      return;
    }
    if (e.kind === 'job' && (e.what === 'restart-job' || e.what === 'reschedule-job')) {
      const job = typeof e.detail?.job === 'string' ? e.detail.job : undefined;
      for (const i of this.open.values()) {
        if ((job && i.job === job) || i.nodes.includes(e.node)) {
          this.mitigate(
            i,
            e.ts,
            'restarted',
            e.node,
            `${e.what === 'restart-job' ? 'restart' : 'reschedule'}: ${e.why}`,
          );
          this.d.save(i);
        }
      }
    }
  }

  /** Flush every job span now (on shutdown). */
  flushJobs(): void {
    for (const t of this.jobs.values())
      this.d.saveJob({ job: t.job, firstSeen: t.firstSeen, lastSeen: t.lastSeen, gpus: t.gpus });
  }

  // ── decisions ─────────────────────────────────────────────────────────────────────────

  private holding(key: string): boolean {
    for (const i of this.open.values()) if (i.active.includes(key)) return true;
    return false;
  }

  /** The job a node runs now: of its recent training summaries, the one that last advanced. */
  private jobOf(node: string, at: number): string | undefined {
    let best: { job: string; progress: number } | undefined;
    for (const t of this.jobs.values()) {
      const progress = t.activeOn(node, at);
      if (progress !== undefined && (!best || progress > best.progress)) best = { job: t.job, progress };
    }
    return best?.job;
  }

  private incidentFor(node: string, job: string | undefined): Incident | undefined {
    for (const i of this.open.values()) if (i.nodes.includes(node) || (job !== undefined && i.job === job)) return i;
    return undefined;
  }

  private create(job: string | undefined, f: Finding, at: number): Incident {
    this.number += 1;
    const t = job ? this.jobs.get(job) : undefined;
    const i: Incident = {
      id: `inc-${this.number}`,
      status: 'open',
      title: '',
      category: 'unknown',
      ...(job ? { job } : {}),
      nodes: [],
      timeline: { firstEvidence: Math.min(f.firstSeen, at), detected: at },
      ...(t ? { stepReached: t.maxStep, gpus: t.gpus } : {}),
      ...(t?.stepTimeMs() !== undefined ? { stepTimeMs: t.stepTimeMs()! } : {}),
      stalled: false,
      active: [],
      codes: [],
      events: [],
    };
    this.open.set(i.id, i);
    return i;
  }

  private join(i: Incident, node: string, key: string, f: Finding, at: number): void {
    i.active.push(key);
    if (!i.nodes.includes(node)) i.nodes.push(node);
    if (!i.codes.includes(f.code)) i.codes.push(f.code);
    i.timeline.firstEvidence = Math.min(i.timeline.firstEvidence, f.firstSeen);
    this.event(i, {
      at,
      kind: 'finding',
      node,
      code: f.code,
      component: f.component,
      severity: f.severity,
      text: `${f.severity} ${f.code} on ${node} ${f.component}: ${f.message}`,
    });
    if (namesCulprit(f)) {
      if (i.timeline.identified === undefined) {
        i.timeline.identified = at;
        this.event(i, {
          at,
          kind: 'identified',
          node,
          code: f.code,
          component: f.component,
          text: `culprit: ${node} ${f.component}`,
        });
      }
      // A cause on a component is more specific than a symptom that names only the node.
      const better = !i.culprit || (causeOf(i.culprit.code).symptom && !causeOf(f.code).symptom);
      if (better)
        i.culprit = { node, code: f.code, ...(f.component.startsWith('job:') ? {} : { component: f.component }) };
    }
    if (STALL_CODES.has(f.code) && i.job) {
      const t = this.jobs.get(i.job);
      if (t) this.stall(i, t.snapshot());
    }
    this.classify(i, node);
    this.d.save(i);
  }

  /** Training stopped: the last good step is the (hindsight) first evidence. */
  private stall(i: Incident, before: JobSnapshot): void {
    if (i.stalled) return;
    i.stalled = true;
    i.stepReached = before.maxStep;
    if (before.stepTimeMs !== undefined) i.stepTimeMs = before.stepTimeMs;
    i.lastGoodStepAt = before.lastProgressAt;
    if (before.lastProgressAt < i.timeline.firstEvidence) {
      i.timeline.firstEvidence = before.lastProgressAt;
    }
    this.event(i, { at: before.lastProgressAt, kind: 'evidence', text: `last good step ${before.maxStep}` });
  }

  private onJobChange(i: Incident, t: JobTrack, node: string, ch: JobChange, s: TrainingSummary): void {
    if (ch.restart) this.restarted(i, ch.restart, node);
    if (i.stalled) {
      // Stepping again: past the restored checkpoint after a restart, past the step reached otherwise.
      const after = Math.max(i.restartedAt ?? i.timeline.detected, (i.lastGoodStepAt ?? 0) + 1);
      const beyond = i.restoredStep !== undefined ? i.restoredStep : (i.stepReached ?? 0);
      if (s.lastProgressAt >= after && s.lastStep > beyond) {
        this.recover(i, s.lastProgressAt, `step ${s.lastStep} on ${node}`);
        return;
      }
    }
    if (ch.progress) {
      if (!i.stalled) {
        if (t.gpus) i.gpus = t.gpus;
        i.stepReached = ch.progress.step;
        const st = t.stepTimeMs();
        if (st !== undefined) i.stepTimeMs = st;
        this.slowdown(i, t, node, ch.progress.delta);
      }
    }
    if (ch.restart || ch.progress) this.d.save(i);
  }

  private restarted(i: Incident, r: NonNullable<JobChange['restart']>, node: string): void {
    this.stall(i, r.before);
    i.restoredStep = r.step;
    i.restoredSource = r.source;
    i.restartedAt = r.at;
    this.event(i, { at: r.at, kind: 'restored', node, text: `restarted from checkpoint step ${r.step} (${r.source})` });
    if (i.timeline.mitigated === undefined) this.mitigate(i, r.at, 'restarted', node, 'job restarted');
  }

  /** A straggler holds the job back: its extra compute time per step, for the steps made. */
  private slowdown(i: Incident, t: JobTrack, node: string, delta: number): void {
    if (!i.active.some((k) => k.startsWith(`${node}\u0000train.straggler\u0000`))) return;
    const mine = t.nodeStepTimeMs(node);
    const others = t.stepTimeMs(node);
    if (mine === undefined || others === undefined || mine <= others) return;
    i.slowdownMs = (i.slowdownMs ?? 0) + delta * (mine - others);
  }

  private mitigate(i: Incident, at: number, kind: 'isolated' | 'restarted', node: string, text: string): void {
    this.event(i, { at, kind, node, text });
    if (i.timeline.mitigated !== undefined) return;
    i.timeline.mitigated = at;
    i.status = 'mitigated';
  }

  private recover(i: Incident, at: number, why: string): void {
    i.timeline.recovered = at;
    i.status = 'recovered';
    i.lost = lostTime(i);
    const redone = i.restoredStep !== undefined && i.stepReached !== undefined ? i.stepReached - i.restoredStep : 0;
    this.event(i, {
      at,
      kind: 'progress',
      text: `recovered: ${why}${i.stalled && redone > 0 ? `; ${redone} steps to redo` : ''}`,
    });
    this.open.delete(i.id);
    this.d.save(i);
  }

  private classify(i: Incident, node: string): void {
    // Each finding as it joined: its severity, and when (events keep the first ones of an incident).
    const root = rootCause(
      i.events.flatMap((e) =>
        e.kind === 'finding' && e.code && e.severity ? [{ code: e.code, severity: e.severity, firstSeen: e.at }] : [],
      ),
    );
    if (!root) return;
    i.category = root.category;
    i.rootCode = root.code;
    const where = i.culprit ? `${i.culprit.node}${i.culprit.component ? ` ${i.culprit.component}` : ''}` : node;
    i.title = `${root.code} on ${where}${i.job ? ` (job ${i.job})` : ''}`;
  }

  private event(i: Incident, e: IncidentEvent): void {
    if (i.events.length >= MAX_EVENTS) {
      i.events.splice(MAX_EVENTS / 2, 1);
    }
    i.events.push(e);
  }
}
