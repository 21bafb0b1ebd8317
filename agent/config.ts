/**
 * The agent's configuration: a YAML file, then KEELSON_* environment variables, then flags,
 * validated by one schema with embedded defaults that run on a developer's machine.
 */
import { z } from 'zod';
import {
  configFromEnv,
  intFrom,
  mergeConfig,
  parseConfigText,
  setPath,
  validateConfig,
} from '../core/config-source.ts';
import { checkpointConfigSchema } from './checkpoint/config.ts';
import { nettestConfigSchema } from './nettest.ts';
import { trainingConfigSchema } from './training/config.ts';

const probeOverride = z
  .object({
    enabled: z.boolean().default(true),
    intervalSec: z.number().int().min(1).max(86_400).optional(),
    timeoutMs: z.number().int().min(10).max(600_000).optional(),
    outputCapBytes: z
      .number()
      .int()
      .min(1024)
      .max(256 * 1024 * 1024)
      .optional(),
    settings: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** A site-defined health check: a command whose exit code (or JSON output) says what is wrong. */
const execCheck = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, - and _'),
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    format: z.enum(['exit-code', 'json']).default('exit-code'),
    code: z
      .string()
      .regex(/^[a-z0-9_.-]+$/)
      .optional(),
    severity: z.enum(['info', 'warn', 'degraded', 'fatal']).default('warn'),
    action: z.enum(['none', 'restart-job', 'reset-gpu', 'reboot', 'drain', 'inspect-hardware']).default('none'),
    intervalSec: z.number().int().min(1).max(86_400).default(60),
    timeoutMs: z.number().int().min(10).max(600_000).default(10_000),
    outputCapBytes: z
      .number()
      .int()
      .min(1024)
      .default(64 * 1024),
  })
  .strict();

export const agentConfigSchema = z
  .object({
    nodeId: z.string().min(1).max(253),
    labels: z.record(z.string().max(128), z.string().max(512)).default({}),
    stateDir: z.string().min(1),
    collector: z
      .object({
        url: z
          .string()
          .regex(/^wss?:\/\/.+/, 'must be a ws:// or wss:// URL')
          .optional(),
        token: z.string().min(1).optional(),
        tokenFile: z.string().min(1).optional(),
        /** CA bundle to trust for wss://. */
        caFile: z.string().min(1).optional(),
        heartbeatMs: z.number().int().min(100).max(600_000).default(5_000),
        deadPeerMs: z.number().int().min(300).max(3_600_000).default(20_000),
        backoffInitialMs: z.number().int().min(10).max(60_000).default(500),
        backoffMaxMs: z.number().int().min(100).max(3_600_000).default(30_000),
        maxPayloadBytes: z
          .number()
          .int()
          .min(64 * 1024)
          .default(4 * 1024 * 1024),
      })
      .strict()
      .default({
        heartbeatMs: 5_000,
        deadPeerMs: 20_000,
        backoffInitialMs: 500,
        backoffMaxMs: 30_000,
        maxPayloadBytes: 4 * 1024 * 1024,
      }),
    api: z
      .object({
        /** Unix socket for training processes and local tools. */
        socket: z.string().min(1).optional(),
        /** Optional localhost TCP port (0 = any free port). */
        tcpPort: z.number().int().min(0).max(65_535).optional(),
        tcpHost: z.string().default('127.0.0.1'),
      })
      .strict()
      .default({ tcpHost: '127.0.0.1' }),
    outbox: z
      .object({
        maxMessages: z.number().int().min(10).max(1_000_000).default(10_000),
        maxSpoolBytes: z
          .number()
          .int()
          .min(1024 * 1024)
          .default(256 * 1024 * 1024),
      })
      .strict()
      .default({ maxMessages: 10_000, maxSpoolBytes: 256 * 1024 * 1024 }),
    health: z
      .object({
        /** A condition clears after this many consecutive runs without it. */
        clearAfterRuns: z.number().int().min(1).max(100).default(2),
        /** An event finding is kept this long after it was last seen. */
        eventTtlSec: z.number().int().min(1).default(3_600),
        /** How often a full snapshot is sent even when nothing changed. */
        snapshotIntervalSec: z.number().int().min(1).default(60),
      })
      .strict()
      .default({ clearAfterRuns: 2, eventTtlSec: 3_600, snapshotIntervalSec: 60 }),
    roots: z
      .object({ sys: z.string().default('/sys'), proc: z.string().default('/proc'), dev: z.string().default('/dev') })
      .strict()
      .default({ sys: '/sys', proc: '/proc', dev: '/dev' }),
    probes: z.record(z.string(), probeOverride).default({}),
    checks: z.array(execCheck).default([]),
    /** The training monitor: ranks' reports, log tailing, process watch, detectors. */
    training: trainingConfigSchema.prefault({}),
    /** The checkpoint engine: shm slots flushed to NVMe and parallel storage, committed locally. */
    checkpoint: checkpointConfigSchema.prefault({}),
    /** How this node launches network tests when the collector asks (nccl-tests, perftest). */
    nettest: nettestConfigSchema.prefault({}),
    /**
     * When the agent times its own event-loop stalls with a 10 ms ticker: while it works (probe runs,
     * API requests, busy spells; the rest is bounded by the loop's busy time, agent/loop-stall.ts) or
     * always (exact everywhere, as monitorEventLoopDelay is, for about 0.45 % of a core more).
     */
    loopStallTimer: z.enum(['work', 'always']).default('work'),
    log: z
      .object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') })
      .strict()
      .default({ level: 'info' }),
  })
  .strict();

export type AgentConfig = z.infer<typeof agentConfigSchema>;

/** Environment variables the agent reads, and the key each sets. */
export const AGENT_ENV = {
  KEELSON_NODE_ID: { key: 'nodeId' },
  KEELSON_STATE_DIR: { key: 'stateDir' },
  KEELSON_COLLECTOR_URL: { key: 'collector.url' },
  KEELSON_TOKEN: { key: 'collector.token' },
  KEELSON_TOKEN_FILE: { key: 'collector.tokenFile' },
  KEELSON_API_SOCKET: { key: 'api.socket' },
  KEELSON_API_PORT: { key: 'api.tcpPort', parse: intFrom('KEELSON_API_PORT') },
  KEELSON_LOG_LEVEL: { key: 'log.level' },
} as const;

/** Command-line flags that override the config (already parsed by the CLI). */
export interface AgentFlags {
  collector?: string;
  nodeId?: string;
  stateDir?: string;
  socket?: string;
}

export interface AgentConfigSources {
  fileText?: string;
  fileName?: string;
  env: Record<string, string | undefined>;
  flags: AgentFlags;
  /** Defaults that depend on the host: its hostname and a state directory. */
  defaults: { nodeId: string; stateDir: string };
}

/** Resolve the agent's config from its sources. Pure; throws CONFIG_* errors naming the key. */
export function resolveAgentConfig(src: AgentConfigSources): AgentConfig {
  const file = src.fileText !== undefined ? parseConfigText(src.fileText, src.fileName ?? 'config') : {};
  const flags: Record<string, unknown> = {};
  if (src.flags.collector) setPath(flags, 'collector.url', src.flags.collector);
  if (src.flags.nodeId) setPath(flags, 'nodeId', src.flags.nodeId);
  if (src.flags.stateDir) setPath(flags, 'stateDir', src.flags.stateDir);
  if (src.flags.socket) setPath(flags, 'api.socket', src.flags.socket);
  const merged = mergeConfig(src.defaults, file, configFromEnv(src.env, AGENT_ENV), flags);
  return validateConfig(agentConfigSchema, merged, src.fileName ?? 'agent config');
}
