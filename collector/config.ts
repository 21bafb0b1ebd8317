/**
 * The collector's configuration: YAML file, KEELSON_* environment, flags; validated with
 * errors naming the key. Embedded defaults run on a developer's machine.
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
import { DEFAULT_COLLECTOR_PORT } from '../core/version.ts';
import { isolationConfigSchema } from './isolation/config.ts';

export const collectorConfigSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(DEFAULT_COLLECTOR_PORT),
    dataDir: z.string().min(1),
    /** Bearer tokens agents may present; at least one unless `insecureNoAuth`. */
    tokens: z.array(z.string().min(16, 'tokens must be at least 16 characters')).default([]),
    tokenFile: z.string().min(1).optional(),
    insecureNoAuth: z.boolean().default(false),
    /** Bearer tokens for operator actions on the REST API (isolate, release, approve, breaker reset). */
    operatorTokens: z.array(z.string().min(16, 'tokens must be at least 16 characters')).default([]),
    operatorTokenFile: z.string().min(1).optional(),
    tls: z
      .object({ certFile: z.string().min(1), keyFile: z.string().min(1) })
      .strict()
      .optional(),
    maxPayloadBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .max(256 * 1024 * 1024)
      .default(4 * 1024 * 1024),
    heartbeatMs: z.number().int().min(100).default(5_000),
    /** A connection that sends nothing for this long is dropped. */
    deadPeerMs: z.number().int().min(300).default(20_000),
    /** A node silent for this long (no session) is marked lost. */
    lostAfterMs: z.number().int().min(500).default(30_000),
    helloTimeoutMs: z.number().int().min(100).default(10_000),
    /** Cross-node training analysis: a node `threshold` slower than the job for `sustainMs` is a straggler. */
    training: z
      .object({
        straggler: z
          .object({
            threshold: z.number().min(0.01).max(10),
            sustainMs: z.number().int().min(100),
            minSamples: z.number().int().min(1),
            staleMs: z.number().int().min(100),
          })
          .partial()
          .strict()
          .default({}),
        /** A node that sent no training summary for this long while its job waits is blamed for a hang, ms. */
        silentMs: z.number().int().min(100).optional(),
      })
      .strict()
      .prefault({}),
    /** Global checkpoint commit: the parallel-storage root the agents' `pfs` tier also mounts. */
    checkpoint: z
      .object({ pfsDir: z.string().min(1).optional() })
      .strict()
      .prefault({}),
    /** Isolation policy, breaker and actuators; dry-run with no actuators unless configured. */
    isolation: isolationConfigSchema.prefault({}),
    log: z
      .object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') })
      .strict()
      .default({ level: 'info' }),
  })
  .strict()
  .refine((c) => c.insecureNoAuth || c.tokens.length > 0 || c.tokenFile, {
    message: 'no agent token configured: set tokens, tokenFile or KEELSON_TOKEN (or insecureNoAuth: true)',
    path: ['tokens'],
  });

export type CollectorConfig = z.infer<typeof collectorConfigSchema>;

export const COLLECTOR_ENV = {
  KEELSON_PORT: { key: 'port', parse: intFrom('KEELSON_PORT') },
  KEELSON_HOST: { key: 'host' },
  KEELSON_DATA_DIR: { key: 'dataDir' },
  KEELSON_TOKEN: { key: 'tokens', parse: (raw: string) => [raw] },
  KEELSON_TOKEN_FILE: { key: 'tokenFile' },
  KEELSON_OPERATOR_TOKEN: { key: 'operatorTokens', parse: (raw: string) => [raw] },
  KEELSON_OPERATOR_TOKEN_FILE: { key: 'operatorTokenFile' },
  KEELSON_LOG_LEVEL: { key: 'log.level' },
} as const;

export interface CollectorFlags {
  port?: number;
  host?: string;
  dataDir?: string;
}

export interface CollectorConfigSources {
  fileText?: string;
  fileName?: string;
  env: Record<string, string | undefined>;
  flags: CollectorFlags;
  defaults: { dataDir: string };
}

/** Resolve the collector's config. Pure; throws CONFIG_* errors naming the key. */
export function resolveCollectorConfig(src: CollectorConfigSources): CollectorConfig {
  const file = src.fileText !== undefined ? parseConfigText(src.fileText, src.fileName ?? 'config') : {};
  const flags: Record<string, unknown> = {};
  if (src.flags.port !== undefined) setPath(flags, 'port', src.flags.port);
  if (src.flags.host) setPath(flags, 'host', src.flags.host);
  if (src.flags.dataDir) setPath(flags, 'dataDir', src.flags.dataDir);
  const merged = mergeConfig(src.defaults, file, configFromEnv(src.env, COLLECTOR_ENV), flags);
  return validateConfig(collectorConfigSchema, merged, src.fileName ?? 'collector config');
}
