/**
 * The `training:` block of the agent config (a zod fragment the lead embeds in agentConfigSchema)
 * and the mapping from it to TrainingMonitor options.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { Clock } from '../../core/clock.ts';
import type { Observation } from '../../core/finding.ts';
import type { Logger } from '../../core/logger.ts';
import { trainingDetectorSettingsSchema } from './detectors/settings.ts';
import { LOG_FORMATS } from './log-parsers/index.ts';
import type { TrainingMonitorOptions } from './monitor.ts';
import { restartHookSchema } from './restart-hook.ts';

export const trainingConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Unix socket ranks report to; default `<stateDir>/train.sock` (the client's default is /run/keelson/train.sock). */
    socket: z.string().min(1).optional(),
    /** Localhost UDP port for datagrams; off when absent. */
    udpPort: z.number().int().min(0).max(65_535).optional(),
    /** How this node restarts a job's ranks when the collector's job flow asks (command, systemd unit or signal). */
    restart: restartHookSchema.optional(),
    /** Localhost TCP port for NDJSON reports (containers that cannot share the unix socket); off when absent. */
    tcpPort: z.number().int().min(0).max(65_535).optional(),
    tickMs: z.number().int().min(50).max(60_000).default(1000),
    /** How often per-job summaries go to the collector. */
    summaryIntervalMs: z.number().int().min(200).max(600_000).default(5000),
    logs: z
      .array(
        z
          .object({
            path: z.string().min(1),
            job: z.string().min(1).max(256),
            formats: z.array(z.enum(LOG_FORMATS)).optional(),
            regex: z.string().min(1).optional(),
            rank: z.number().int().min(0).optional(),
            startAt: z.enum(['end', 'start']).default('end'),
          })
          .strict(),
      )
      .default([]),
    processes: z
      .array(
        z
          .object({
            job: z.string().min(1).max(256),
            pids: z.array(z.number().int().positive()).optional(),
            pattern: z.string().min(1).optional(),
            outputFiles: z.array(z.string().min(1)).optional(),
          })
          .strict()
          .refine((p) => p.pids?.length || p.pattern, 'needs pids or pattern'),
      )
      .default([]),
    detectors: trainingDetectorSettingsSchema.default(trainingDetectorSettingsSchema.parse({})),
  })
  .strict();
export type TrainingConfig = z.infer<typeof trainingConfigSchema>;

/** TrainingMonitor options from the validated `training:` block. */
export function monitorOptions(
  c: TrainingConfig,
  d: {
    nodeId: string;
    stateDir: string;
    procRoot: string;
    clock: Clock;
    log: Logger;
    onObservations: (o: Observation[]) => void;
  },
): TrainingMonitorOptions {
  return {
    nodeId: d.nodeId,
    socketPath: c.socket ?? join(d.stateDir, 'train.sock'),
    ...(c.udpPort !== undefined ? { udpPort: c.udpPort } : {}),
    ...(c.tcpPort !== undefined ? { tcpPort: c.tcpPort } : {}),
    logs: c.logs.map((l) => ({ ...l })),
    processes: c.processes,
    procRoot: d.procRoot,
    detectors: c.detectors,
    tickMs: c.tickMs,
    clock: d.clock,
    log: d.log,
    onObservations: d.onObservations,
  };
}
