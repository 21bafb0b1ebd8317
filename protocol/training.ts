/**
 * The per-job training summary each agent streams to the collector (message type `training`):
 * the collector compares nodes (stragglers) and attributes hangs from it.
 */
import { z } from 'zod';

/** What a rank says it is doing; eval and checkpoint pauses are expected, idle means "do not expect steps". */
export const TRAINING_PHASES = ['train', 'eval', 'checkpoint', 'idle'] as const;
export type TrainingPhase = (typeof TRAINING_PHASES)[number];

/** One job as seen on one node. */
export const trainingSummarySchema = z.object({
  job: z.string().min(1).max(256),
  node: z.string().min(1).max(253),
  /** Ranks reporting on this node. */
  ranks: z.number().int().nonnegative().max(1_000_000),
  world: z.number().int().positive().max(10_000_000).optional(),
  lastStep: z.number().int().nonnegative(),
  /** Median per-step time over the recent window (ms); absent until there are steps. */
  stepTimeMs: z.number().nonnegative().optional(),
  /** Epoch ms of the last step advance (or first sight of the job). */
  lastProgressAt: z.number().int().nonnegative(),
  phase: z.enum(TRAINING_PHASES),
  /** This node's agent currently sees the job as hung. */
  hung: z.boolean().optional(),
  /** The newest finite loss reported on this node (NaN/Inf are findings, not points). */
  loss: z.number().optional(),
  /** The job's latest restart from a checkpoint on this node: the checkpoint's step, and when it was reported. */
  restoredFrom: z.number().int().nonnegative().optional(),
  restoredAt: z.number().int().nonnegative().optional(),
});
export type TrainingSummary = z.infer<typeof trainingSummarySchema>;
