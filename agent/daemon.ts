/**
 * The agent daemon: wires config, probes and their schedules, the health state, the outbox,
 * the link to the collector and the local API. A thin shell: every decision lives in the
 * pure modules it calls. Nothing a probe does can stop it.
 */

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { createTask, type ScheduledTask } from 'node-cron';
import type { Clock } from '../core/clock.ts';
import { describeError, KeelsonError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { moduleLogger } from '../core/logger.ts';
import { KEELSON_VERSION } from '../core/version.ts';
import { createExecCheckProbe } from '../probes/exec/probe.ts';
import { createKernelLogProbe, createKernelLogWatcher, type KernelLogWatcher } from '../probes/kernel-log/probe.ts';
import { BUILTIN_PROBES } from '../probes/registry.ts';
import { type CommandRunner, processRunner } from '../probes/runner.ts';
import type { MetricSample, Probe } from '../probes/types.ts';
import type { Command, FindingChange, ProbeStatus, SequencedMessage } from '../protocol/messages.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';
import type { CheckpointService } from './checkpoint/service.ts';
import { CollectorLink } from './collector-link.ts';
import type { AgentConfig } from './config.ts';
import { type HealthSnapshot, HealthState } from './health-state.ts';
import { LocalApi } from './local-api.ts';
import { AgentMetrics } from './metrics.ts';
import { netTestArgsSchema, nettestRunner } from './nettest.ts';
import { Outbox, type Unsequenced } from './outbox.ts';
import { type ProbeOutcome, probeFailedObservation, runProbeOnce } from './probe-runner.ts';
import { cronForInterval, staggerSecond } from './schedule.ts';
import { monitorOptions } from './training/config.ts';
import { withGpuEvidence } from './training/gpu-evidence.ts';
import { TrainingMonitor } from './training/monitor.ts';
import { planRestart } from './training/restart-hook.ts';

export interface AgentDeps {
  config: AgentConfig;
  log: Logger;
  clock: Clock;
  /** Replaced in tests; defaults to the real process runner. */
  runner?: CommandRunner;
  /** Replaced in tests; defaults to the built-in registry plus configured checks. */
  probes?: readonly Probe[];
}

interface ScheduledProbe {
  probe: Probe;
  intervalSec: number;
  timeoutMs: number;
  outputCapBytes: number;
  settings: Record<string, unknown>;
  task?: ScheduledTask;
  inFlight?: Promise<ProbeOutcome>;
  state?: unknown;
  status: ProbeStatus;
}

export class AgentDaemon {
  private readonly log: Logger;
  private readonly metrics: AgentMetrics;
  private readonly probes = new Map<string, ScheduledProbe>();
  private readonly facts: Record<string, string> = {};
  private outbox?: Outbox;
  private link?: CollectorLink;
  private api?: LocalApi;
  private health!: HealthState;
  private timers: NodeJS.Timeout[] = [];
  private bootId?: string;
  private stopping = false;
  private kernelLog?: KernelLogWatcher;
  private training?: TrainingMonitor;
  private checkpoints?: CheckpointService;
  /** The gpu probe's latest samples: supporting evidence for training findings. */
  private gpuSamples: MetricSample[] = [];

  constructor(private readonly d: AgentDeps) {
    this.log = moduleLogger(d.log, 'agent');
    this.metrics = new AgentMetrics(moduleLogger(d.log, 'agent-metrics'), {
      loopStallTimer: d.config.loopStallTimer,
    });
    const c = d.config;
    const probes = d.probes ?? [
      ...BUILTIN_PROBES,
      createKernelLogProbe(() => this.kernelLog),
      ...c.checks.map((chk) => createExecCheckProbe(chk)),
    ];
    for (const probe of probes) {
      const o = c.probes[probe.name];
      if (o && !o.enabled) continue;
      this.probes.set(probe.name, {
        probe,
        intervalSec: o?.intervalSec ?? probe.defaults.intervalSec,
        timeoutMs: o?.timeoutMs ?? probe.defaults.timeoutMs,
        outputCapBytes: o?.outputCapBytes ?? probe.defaults.outputCapBytes,
        settings: o?.settings ?? {},
        status: { name: probe.name, status: 'pending' },
      });
    }
  }

  /** The local API's TCP port, when enabled (for tests and `keelson up`). */
  get apiPort(): number | undefined {
    return this.api?.tcpPort;
  }

  async start(): Promise<void> {
    const c = this.d.config;
    mkdirSync(c.stateDir, { recursive: true });
    this.bootId = readBootId(c.roots.proc);
    this.health = this.restoreHealth();
    this.outbox = Outbox.open({
      dir: join(c.stateDir, 'outbox'),
      maxMessages: c.outbox.maxMessages,
      maxSpoolBytes: c.outbox.maxSpoolBytes,
      log: moduleLogger(this.d.log, 'outbox'),
    });
    this.api = new LocalApi(
      {
        socket: c.api.socket,
        tcpPort: c.api.tcpPort,
        tcpHost: c.api.tcpHost,
        log: moduleLogger(this.d.log, 'local-api'),
        // answering is work like a probe run: its stalls are timed, not bounded
        onRequest: () => this.metrics.loopStall.hold(),
      },
      {
        health: () => this.healthView(),
        findings: () => ({ findings: this.health.findings() }),
        training: () => this.training?.jobsView() ?? { jobs: [] },
        metrics: async () => {
          this.refreshGauges();
          return { contentType: this.metrics.registry.contentType, body: await this.metrics.registry.metrics() };
        },
      },
    );
    await this.api.start();
    if (this.stopping) return;
    if (c.collector.url) this.startLink(c.collector.url);
    else this.log.warn('no collector configured (collector.url); running standalone');
    if (this.probes.has('kernel-log')) await this.startKernelLog();
    if (c.training.enabled) await this.startTraining();
    if (c.checkpoint.enabled) await this.startCheckpoints();
    for (const sp of this.probes.values()) this.schedule(sp);
    this.timers.push(
      setInterval(() => this.publish(this.health.expire(this.d.clock.now())), 10_000),
      setInterval(() => this.sendSnapshot(), c.health.snapshotIntervalSec * 1000),
    );
    for (const t of this.timers) t.unref();
    // First round now, then the snapshot that tells the collector where this node stands.
    await Promise.all([...this.probes.keys()].map((name) => this.runProbe(name)));
    this.sendSnapshot();
    this.log.info(
      {
        nodeId: c.nodeId,
        probes: [...this.probes.keys()],
        bootId: this.bootId,
        socket: c.api.socket,
        tcpPort: this.apiPort,
      },
      'agent started',
    );
  }

  /** Stop schedules, let in-flight runs end, flush the outbox to the collector, close. */
  async stop(flushMs = 5_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    await Promise.all([...this.probes.values()].map((sp) => sp.task?.destroy()));
    await this.kernelLog?.stop();
    await this.training?.stop();
    await this.checkpoints?.stop();
    await Promise.race([
      Promise.allSettled([...this.probes.values()].map((sp) => sp.inFlight)),
      new Promise((r) => setTimeout(r, 2_000).unref()),
    ]);
    const drained = (await this.link?.stop(flushMs)) ?? true;
    this.outbox?.close();
    await this.api?.stop();
    this.metrics.close();
    this.persistHealth();
    this.log.info({ drained, pending: this.outbox?.size ?? 0 }, 'agent stopped');
  }

  /** Run one probe now (or join its run in flight). */
  runProbe(name: string): Promise<ProbeOutcome> {
    const sp = this.probes.get(name);
    if (!sp) return Promise.reject(new KeelsonError('NOT_FOUND', `no probe named ${name}`));
    if (sp.inFlight) return sp.inFlight;
    const release = this.metrics.loopStall.hold();
    const p = this.execute(sp).finally(() => {
      sp.inFlight = undefined;
      release();
    });
    sp.inFlight = p;
    return p;
  }

  private async execute(sp: ScheduledProbe): Promise<ProbeOutcome> {
    const c = this.d.config;
    const outcome = await runProbeOnce(
      sp.probe,
      {
        runner: this.d.runner ?? processRunner,
        roots: c.roots,
        clock: this.d.clock,
        settings: sp.settings,
        limits: { timeoutMs: sp.timeoutMs, outputCapBytes: sp.outputCapBytes },
      },
      sp.state,
      sp.timeoutMs,
      this.d.clock,
    );
    if (this.stopping) return outcome;
    try {
      this.absorb(sp, outcome);
    } catch (err) {
      this.log.error({ err, probe: sp.probe.name }, 'failed to record a probe outcome');
    }
    return outcome;
  }

  private absorb(sp: ScheduledProbe, o: ProbeOutcome): void {
    const name = sp.probe.name;
    const now = this.d.clock.now();
    this.metrics.probeDuration.observe({ probe: name }, o.durationMs / 1000);
    this.metrics.probeRuns.inc({ probe: name, result: o.status });
    sp.status = {
      name,
      status: o.status,
      lastRun: o.startedAt,
      durationMs: Math.round(o.durationMs * 1000) / 1000,
      ...(o.reason ? { reason: o.reason.slice(0, 2048) } : {}),
    };
    const changes: FindingChange[] = [];
    if (o.status === 'ok' && o.result) {
      this.metrics.probeUp.set({ probe: name }, 1);
      sp.state = o.state;
      changes.push(...this.health.clear('probe.failed', `probe:${name}`));
      changes.push(...this.health.applyRun(name, o.result.observations, now));
      this.metrics.recordSamples(o.result.metrics);
      if (name === 'gpu') this.gpuSamples = o.result.metrics;
      Object.assign(this.facts, o.result.facts ?? {});
    } else if (o.status === 'failed' || o.status === 'timeout') {
      this.metrics.probeUp.set({ probe: name }, 0);
      this.log.warn({ probe: name, status: o.status, reason: o.reason }, 'probe did not complete');
      changes.push(...this.health.applyEvents(`probe:${name}`, [probeFailedObservation(o)], now));
    }
    this.publish(changes);
    this.enqueue({ v: PROTOCOL_VERSION, ts: now, type: 'metrics', probe: sp.status, samples: o.result?.metrics ?? [] });
  }

  private publish(changes: FindingChange[]): void {
    if (!changes.length) return;
    this.enqueue({ v: PROTOCOL_VERSION, ts: this.d.clock.now(), type: 'findings', changes });
    this.persistHealth();
  }

  private sendSnapshot(): void {
    this.enqueue({
      v: PROTOCOL_VERSION,
      ts: this.d.clock.now(),
      type: 'snapshot',
      health: this.health.health(),
      findings: this.health.findings(),
      probes: [...this.probes.values()].map((sp) => sp.status),
      facts: { ...this.facts },
    });
  }

  private enqueue(msg: Unsequenced): void {
    if (!this.outbox) return;
    const full: SequencedMessage = this.outbox.enqueue(msg);
    this.link?.send(full);
    this.metrics.outboxPending.set(this.outbox.size);
  }

  private schedule(sp: ScheduledProbe): void {
    const { expression, effectiveSec } = cronForInterval(
      sp.intervalSec,
      staggerSecond(`${this.d.config.nodeId}/${sp.probe.name}`),
    );
    if (effectiveSec !== sp.intervalSec) {
      this.log.info({ probe: sp.probe.name, asked: sp.intervalSec, effectiveSec }, 'interval rounded to a cron step');
    }
    const cronLog = moduleLogger(this.d.log, 'cron');
    sp.task = createTask(
      expression,
      async () => {
        await this.runProbe(sp.probe.name);
      },
      {
        name: sp.probe.name,
        noOverlap: true,
        suppressMissedWarning: true,
        logger: {
          info: (m) => cronLog.debug(m),
          warn: (m) => cronLog.warn(m),
          error: (m) => cronLog.error({ err: describeError(m) }, 'cron error'),
          debug: (m) => cronLog.debug(describeError(m)),
        },
      },
    );
    sp.task.start();
  }

  /** Watch training jobs; their verdicts are a run of the `training` source, summaries go to the collector. */
  private async startTraining(): Promise<void> {
    const c = this.d.config;
    this.training = new TrainingMonitor(
      monitorOptions(c.training, {
        nodeId: c.nodeId,
        stateDir: c.stateDir,
        procRoot: c.roots.proc,
        clock: this.d.clock,
        log: moduleLogger(this.d.log, 'training'),
        onObservations: (obs) => {
          if (this.stopping) return;
          this.publish(this.health.applyRun('training', withGpuEvidence(obs, this.gpuSamples), this.d.clock.now()));
        },
      }),
    );
    await this.training.start();
    const timer = setInterval(() => {
      for (const s of this.training?.samplesForCollector() ?? []) {
        this.link?.sendEphemeral({ v: PROTOCOL_VERSION, ts: this.d.clock.now(), type: 'training', ...s });
      }
    }, c.training.summaryIntervalMs);
    timer.unref();
    this.timers.push(timer);
  }

  /**
   * Flush trainers' checkpoints to the durable tiers; a paused tier is a `checkpoint` condition.
   * The service's modules load only here: most agents run without `checkpoint:`.
   */
  private async startCheckpoints(): Promise<void> {
    const c = this.d.config;
    const { CheckpointService } = await import('./checkpoint/service.ts');
    if (this.stopping) return;
    this.checkpoints = new CheckpointService({
      config: c.checkpoint,
      node: c.nodeId,
      stateDir: c.stateDir,
      clock: this.d.clock,
      // the engine's parts name their own modules (ckpt-flush, ckpt-commit)
      log: this.d.log,
      runner: this.d.runner ?? processRunner,
      onEvents: (obs) => {
        if (!this.stopping) this.publish(this.health.applyEvents('checkpoint', obs, this.d.clock.now()));
      },
      // A collector that commits across nodes gets the reports (through the outbox); else commit here.
      remote: (r) => {
        if (!this.link?.collectorCapabilities.includes('ckpt-commit')) return false;
        this.enqueue({ v: PROTOCOL_VERSION, ts: this.d.clock.now(), type: 'ckpt-durable', ...r });
        return true;
      },
    });
    await this.checkpoints.start();
    const timer = setInterval(() => {
      const ckpt = this.checkpoints;
      if (this.stopping || !ckpt) return;
      this.publish(this.health.applyRun('checkpoint', ckpt.observations(), this.d.clock.now()));
      if (this.link?.connected) {
        ckpt.state().then(
          (state) =>
            this.link?.sendEphemeral({ v: PROTOCOL_VERSION, ts: this.d.clock.now(), type: 'ckpt-state', state }),
          (err) => this.log.warn({ err }, 'cannot gather the checkpoint state'),
        );
      }
    }, c.checkpoint.stateIntervalMs);
    timer.unref();
    this.timers.push(timer);
  }

  /** Follow the kernel log; its events reach the health state as they are read, not on a schedule. */
  private async startKernelLog(): Promise<void> {
    const c = this.d.config;
    const log = moduleLogger(this.d.log, 'kernel-log');
    this.kernelLog = createKernelLogWatcher({
      roots: c.roots,
      statePath: join(c.stateDir, 'kernel-log.json'),
      clock: this.d.clock,
      settings: this.probes.get('kernel-log')?.settings,
      runner: this.d.runner ?? processRunner,
      onObservations: (obs) => {
        if (!this.stopping) this.publish(this.health.applyEvents('kernel-log', obs, this.d.clock.now()));
      },
      onError: (err) => log.warn({ err: describeError(err) }, 'kernel-log source failed'),
    });
    await this.kernelLog.start();
    log.info({ source: this.kernelLog.source(), failures: this.kernelLog.failures() }, 'following the kernel log');
  }

  private startLink(url: string): void {
    const c = this.d.config.collector;
    const token = c.token ?? (c.tokenFile ? readFileSync(c.tokenFile, 'utf8').trim() : undefined);
    this.link = new CollectorLink({
      url,
      token,
      ca: c.caFile ? readFileSync(c.caFile) : undefined,
      heartbeatMs: c.heartbeatMs,
      deadPeerMs: c.deadPeerMs,
      backoffInitialMs: c.backoffInitialMs,
      backoffMaxMs: c.backoffMaxMs,
      maxPayloadBytes: c.maxPayloadBytes,
      identity: {
        nodeId: this.d.config.nodeId,
        hostname: osHostname(),
        labels: this.d.config.labels,
        agentVersion: KEELSON_VERSION,
        capabilities: ['probes', 'probe.run'],
        ...(this.bootId ? { bootId: this.bootId } : {}),
      },
      outbox: this.outbox!,
      clock: this.d.clock,
      log: moduleLogger(this.d.log, 'collector-link'),
      onCommand: (cmd) => void this.onCommand(cmd),
      onCheckpointCommitted: (msg) => {
        this.checkpoints
          ?.remoteCommitted(msg.manifest)
          .catch((err) => this.log.warn({ err }, 'cannot record a commit'));
      },
      onConnectedChange: (up) => {
        this.metrics.collectorConnected.set(up ? 1 : 0);
        if (up) this.sendSnapshot();
      },
      onReconnect: () => this.metrics.reconnects.inc(),
    });
    this.link.start();
  }

  private async onCommand(cmd: Command): Promise<void> {
    const reply = (ok: boolean, extra: { error?: string; result?: unknown }) =>
      this.enqueue({
        v: PROTOCOL_VERSION,
        ts: this.d.clock.now(),
        type: 'command-result',
        commandId: cmd.commandId,
        ok,
        ...extra,
      });
    try {
      if (cmd.name === 'probe.run') {
        const name = String(cmd.args?.probe ?? '');
        const outcome = await this.runProbe(name);
        reply(true, { result: { probe: name, status: outcome.status, reason: outcome.reason } });
      } else if (cmd.name === 'net.test') {
        const args = netTestArgsSchema.parse(cmd.args ?? {});
        this.log.info({ nodes: args.nodes.length, kind: args.kind }, 'launching a network test');
        const result = await nettestRunner(this.d.config.nettest, this.d.runner ?? processRunner).runTest(
          args.nodes,
          args.kind,
          args.timeoutMs,
        );
        reply(true, { result });
      } else if (cmd.name === 'job.restart') {
        const hook = this.d.config.training.restart;
        const plan = planRestart(
          hook,
          { job: String(cmd.args?.job ?? ''), attempt: Number(cmd.args?.attempt ?? 1) },
          this.d.config.nodeId,
        );
        this.log.warn(
          { job: cmd.args?.job, attempt: cmd.args?.attempt, command: plan.command },
          'restarting a job on request',
        );
        const out = await (this.d.runner ?? processRunner).run(plan.command, plan.args, {
          timeoutMs: hook?.timeoutMs ?? 60_000,
          outputCapBytes: 64 * 1024,
        });
        reply(true, { result: { command: plan.command, exitCode: out.exitCode } });
      }
    } catch (err) {
      reply(false, { error: describeError(err) });
    }
  }

  private healthView() {
    return {
      nodeId: this.d.config.nodeId,
      health: this.health.health(),
      collectorConnected: this.link?.connected ?? false,
      outboxPending: this.outbox?.size ?? 0,
      probes: [...this.probes.values()].map((sp) => sp.status),
      findings: this.health.findings().length,
    };
  }

  private refreshGauges(): void {
    for (const sev of ['info', 'warn', 'degraded', 'fatal'] as const) {
      this.metrics.findingsActive.set(
        { severity: sev },
        this.health.findings().filter((f) => f.severity === sev).length,
      );
    }
    if (this.outbox) {
      this.metrics.outboxPending.set(this.outbox.size);
      this.metrics.outboxDropped.set(this.outbox.dropped);
    }
  }

  private restoreHealth(): HealthState {
    const c = this.d.config;
    const opts = { clearAfterRuns: c.health.clearAfterRuns, eventTtlMs: c.health.eventTtlSec * 1000 };
    try {
      const snap = JSON.parse(readFileSync(join(c.stateDir, 'health.json'), 'utf8')) as HealthSnapshot;
      return HealthState.restore(snap, opts, this.bootId);
    } catch {
      return new HealthState(opts, this.bootId);
    }
  }

  private persistHealth(): void {
    const path = join(this.d.config.stateDir, 'health.json');
    try {
      writeFileSync(`${path}.tmp`, JSON.stringify(this.health.snapshot()));
      renameSync(`${path}.tmp`, path);
    } catch (err) {
      this.log.error({ err }, 'cannot persist health state');
    }
  }
}

function readBootId(procRoot: string): string | undefined {
  try {
    return readFileSync(join(procRoot, 'sys/kernel/random/boot_id'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
