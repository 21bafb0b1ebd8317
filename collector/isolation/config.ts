/**
 * The `isolation:` section of the collector config (zod fragment the lead adds to
 * collectorConfigSchema) and `createIsolationEngine`, which builds the engine, its actuators,
 * notifiers and alerting from it.
 */
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import type Database from 'better-sqlite3';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { Clock } from '../../core/clock.ts';
import { KeelsonError } from '../../core/errors.ts';
import { SEVERITIES } from '../../core/finding.ts';
import { type Logger, moduleLogger } from '../../core/logger.ts';
import { CommandRestartHook, ExecNotifier } from '../actuators/exec-hook.ts';
import { KubernetesActuator } from '../actuators/kubernetes.ts';
import { RecordOnlyActuator } from '../actuators/record-only.ts';
import { SlurmActuator } from '../actuators/slurm.ts';
import type { IsolationNotifier, NodeActuator } from '../actuators/types.ts';
import { WebhookNotifier } from '../actuators/webhook.ts';
import { AlertTracker } from '../alerting/alert-tracker.ts';
import { AlertmanagerClient } from '../alerting/alertmanager.ts';
import type { CommandDispatcher } from '../commands.ts';
import { AgentRestartHook } from './agent-restart-hook.ts';
import { AuditLog } from './audit-store.ts';
import { defaultPolicy } from './default-policy.ts';
import { ISOLATION_MODES, IsolationEngine, type IsolationEngineOptions } from './engine.ts';
import { registerIsolationMetrics } from './metrics.ts';
import { parsePolicy } from './policy.ts';
import { IsolationStateStore } from './state-store.ts';

const argv = z.array(z.string().min(1)).min(1);

export const isolationConfigSchema = z
  .object({
    /** enforce | dry-run (decide and audit only) | approve-first (every isolation waits for an operator). */
    mode: z.enum(ISOLATION_MODES).default('dry-run'),
    /** A policy YAML file; the shipped default policy otherwise. */
    policyFile: z.string().min(1).optional(),
    breaker: z
      .object({
        maxFraction: z.number().min(0).max(1).default(0.1),
        maxNodes: z.number().int().min(0).default(5),
        windowMinutes: z.number().positive().default(60),
        minAllowed: z.number().int().min(0).default(1),
      })
      .strict()
      .default({ maxFraction: 0.1, maxNodes: 5, windowMinutes: 60, minAllowed: 1 }),
    /** Release a node Keelson isolated after this long healthy; absent = never (opt-in). */
    autoReleaseAfterMinutes: z.number().positive().optional(),
    jobFlow: z
      .object({
        maxLocalRestarts: z.number().int().min(0).default(2),
        resetAfterMinutes: z.number().positive().default(360),
        /** argv run to restart a job's ranks on a node; {job} {node} {attempt} are replaced. */
        restartCommand: argv.optional(),
        /** argv run to reschedule a job; {job} {node} {step} are replaced. */
        rescheduleCommand: argv.optional(),
      })
      .strict()
      .default({ maxLocalRestarts: 2, resetAfterMinutes: 360 }),
    slurm: z
      .object({
        enabled: z.boolean().default(false),
        scontrol: z.string().default('scontrol'),
        sinfo: z.string().default('sinfo'),
        slurmConf: z.string().min(1).optional(),
        timeoutMs: z.number().int().min(100).default(10_000),
      })
      .strict()
      .optional(),
    kubernetes: z
      .object({
        enabled: z.boolean().default(false),
        /** A kubeconfig file; in-cluster or $KUBECONFIG otherwise. */
        kubeconfig: z.string().min(1).optional(),
        evict: z.boolean().default(false),
      })
      .strict()
      .optional(),
    webhook: z
      .object({ url: z.url(), secret: z.string().min(16).optional(), secretFile: z.string().min(1).optional() })
      .strict()
      .refine((w) => w.secret || w.secretFile, { message: 'webhook needs secret or secretFile', path: ['secret'] })
      .optional(),
    exec: z
      .object({ command: argv, timeoutMs: z.number().int().min(100).default(30_000) })
      .strict()
      .optional(),
    alertmanager: z
      .object({
        url: z.url(),
        resendMinutes: z.number().positive().default(1),
        minSeverity: z.enum(SEVERITIES).default('degraded'),
        generatorURL: z.url().optional(),
      })
      .strict()
      .optional(),
    /** Record isolations in Keelson's own database only (no scheduler to act on; the demo uses it). */
    recordOnly: z.boolean().default(false),
    /** Append-only JSONL copy of the audit (default <dataDir>/isolation-audit.jsonl). */
    auditFile: z.string().min(1).optional(),
  })
  .strict();

export type IsolationConfig = z.infer<typeof isolationConfigSchema>;

export interface IsolationDeps {
  db: Database.Database;
  dataDir: string;
  registry: Registry;
  log: Logger;
  fleetSize?: () => number;
  jobOfNode?: (node: string) => string | undefined;
  latestCheckpointStep?: (job: string) => number | undefined;
  /** Restarts through the job's agents (used when no isolation.jobFlow.restartCommand is set). */
  agentRestart?: Pick<CommandDispatcher, 'run'>;
  /** Extra actuators (tests, a site's own scheduler). */
  actuators?: NodeActuator[];
  /** The collector's clock: audit times, isolation times (default the system clock). */
  clock?: Clock;
}

function readSecret(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new KeelsonError('CONFIG_UNREADABLE', `isolation.webhook.secretFile: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Build the engine from config; the caller feeds it fleet changes and calls tick() every few seconds. */
export function createIsolationEngine(cfg: IsolationConfig, deps: IsolationDeps): IsolationEngine {
  const log = moduleLogger(deps.log, 'isolation');
  const policy = cfg.policyFile
    ? parsePolicy(
        (() => {
          try {
            return readFileSync(cfg.policyFile, 'utf8');
          } catch (err) {
            throw new KeelsonError('CONFIG_UNREADABLE', `isolation.policyFile: ${(err as Error).message}`, {
              cause: err,
            });
          }
        })(),
        cfg.policyFile,
      )
    : defaultPolicy();
  const actuators: NodeActuator[] = [...(deps.actuators ?? [])];
  if (cfg.recordOnly) actuators.push(new RecordOnlyActuator(deps.db));
  if (cfg.slurm?.enabled) {
    actuators.push(
      new SlurmActuator({
        scontrol: cfg.slurm.scontrol,
        sinfo: cfg.slurm.sinfo,
        timeoutMs: cfg.slurm.timeoutMs,
        ...(cfg.slurm.slurmConf ? { env: { SLURM_CONF: cfg.slurm.slurmConf } } : {}),
        log: moduleLogger(deps.log, 'actuator-slurm'),
      }),
    );
  }
  if (cfg.kubernetes?.enabled) {
    const kc = new KubeConfig();
    if (cfg.kubernetes.kubeconfig) kc.loadFromFile(cfg.kubernetes.kubeconfig);
    else kc.loadFromDefault();
    actuators.push(
      new KubernetesActuator({
        kubeConfig: kc,
        evict: cfg.kubernetes.evict,
        log: moduleLogger(deps.log, 'actuator-k8s'),
      }),
    );
  }
  const notifiers: IsolationNotifier[] = [];
  if (cfg.webhook) {
    notifiers.push(
      new WebhookNotifier({ url: cfg.webhook.url, secret: cfg.webhook.secret ?? readSecret(cfg.webhook.secretFile!) }),
    );
  }
  if (cfg.exec) notifiers.push(new ExecNotifier({ command: cfg.exec.command, timeoutMs: cfg.exec.timeoutMs }));
  let engine: IsolationEngine | undefined;
  const metrics = registerIsolationMetrics(deps.registry, () => {
    const s = engine!.breakerStatus();
    return {
      breaker: s,
      pendingApprovals: s.pending.length,
      isolatedNodes: engine!.nodes().filter((n) => n.record?.status === 'isolated').length,
    };
  });
  const opts: IsolationEngineOptions = {
    policy,
    mode: cfg.mode,
    breaker: {
      maxFraction: cfg.breaker.maxFraction,
      maxNodes: cfg.breaker.maxNodes,
      windowMs: cfg.breaker.windowMinutes * 60_000,
      minAllowed: cfg.breaker.minAllowed,
    },
    jobFlow: { maxLocalRestarts: cfg.jobFlow.maxLocalRestarts, resetAfterMs: cfg.jobFlow.resetAfterMinutes * 60_000 },
    ...(cfg.autoReleaseAfterMinutes !== undefined ? { autoReleaseAfterMs: cfg.autoReleaseAfterMinutes * 60_000 } : {}),
    actuators,
    notifiers,
    ...(cfg.alertmanager
      ? {
          alerts: {
            tracker: new AlertTracker({
              resendMs: cfg.alertmanager.resendMinutes * 60_000,
              minSeverity: cfg.alertmanager.minSeverity,
              ...(cfg.alertmanager.generatorURL ? { generatorURL: cfg.alertmanager.generatorURL } : {}),
            }),
            client: new AlertmanagerClient({ url: cfg.alertmanager.url }),
          },
        }
      : {}),
    ...(cfg.jobFlow.restartCommand
      ? {
          restartHook: new CommandRestartHook(
            { command: cfg.jobFlow.restartCommand },
            cfg.jobFlow.rescheduleCommand ? { command: cfg.jobFlow.rescheduleCommand } : undefined,
          ),
        }
      : deps.agentRestart
        ? {
            restartHook: new AgentRestartHook(
              deps.agentRestart,
              cfg.jobFlow.rescheduleCommand
                ? (req) =>
                    new CommandRestartHook(
                      { command: cfg.jobFlow.rescheduleCommand! },
                      { command: cfg.jobFlow.rescheduleCommand! },
                    ).rescheduleJob(req)
                : undefined,
            ),
          }
        : {}),
    ...(deps.latestCheckpointStep ? { latestCheckpointStep: deps.latestCheckpointStep } : {}),
    ...(deps.jobOfNode ? { jobOfNode: deps.jobOfNode } : {}),
    ...(deps.fleetSize ? { fleetSize: deps.fleetSize } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
    audit: new AuditLog(deps.db, cfg.auditFile ?? `${deps.dataDir}/isolation-audit.jsonl`),
    state: new IsolationStateStore(deps.db),
    metrics,
    log,
  };
  engine = new IsolationEngine(opts);
  return engine;
}
