/**
 * Detector settings with named defaults, as one zod schema the agent config embeds under
 * `training.detectors` (every key optional; defaults fill in).
 */
import { z } from 'zod';

export const hangSettingsSchema = z
  .object({
    /** Timeout = k × the q-quantile of recent normal report intervals... */
    k: z.number().min(1).max(100).default(2.5),
    quantile: z.number().min(0.5).max(1).default(0.9),
    /** ...but never below this (ms). */
    floorMs: z.number().int().min(100).default(60_000),
    /** Intervals needed before the adaptive timeout applies; before that, startupGraceMs. */
    minIntervals: z.number().int().min(2).default(4),
    /** Waiting for the first steps (compilation, data loading, rendezvous), ms. */
    startupGraceMs: z
      .number()
      .int()
      .min(100)
      .default(20 * 60_000),
    /** A declared eval/checkpoint phase never seen finish before gets this long, ms. */
    phaseGraceMs: z
      .number()
      .int()
      .min(100)
      .default(30 * 60_000),
    /** A declared phase seen before gets kPhase × its longest past duration (at least the normal timeout). */
    kPhase: z.number().min(1).default(2),
    /** An interval longer than pauseFactor × the median is a pause (eval, checkpoint), not a step. */
    pauseFactor: z.number().min(1.5).default(4),
    /** Recent intervals considered. */
    window: z.number().int().min(8).default(200),
  })
  .strict();

export const slowSettingsSchema = z
  .object({
    /** Steps in the current window (its median is compared). */
    window: z.number().int().min(5).default(20),
    /** Regression that alerts: current ≥ (1 + threshold) × baseline. */
    threshold: z.number().min(0.01).max(10).default(0.2),
    /** Reports skipped at the start (compilation, warm-up). */
    warmupReports: z.number().int().min(0).default(3),
    pauseFactor: z.number().min(1.5).default(4),
  })
  .strict();

export const lossSettingsSchema = z
  .object({
    /** Previous losses a spike is judged against. */
    window: z.number().int().min(5).default(50),
    /** Robust z-score above which a loss is a spike. */
    z: z.number().min(2).default(8),
    /** And the loss must be at least this much above the median (relative). */
    minRise: z.number().min(0).default(0.25),
    /** With fewer than `minHistory` losses, a spike is a jump to ≥ earlyRatio × the median so far. */
    minHistory: z.number().int().min(2).default(5),
    earlyRatio: z.number().min(1.1).default(2),
    /** Consecutive losses all within flatTolerance (relative) make the loss "flat". */
    flatReports: z.number().int().min(5).default(50),
    flatTolerance: z.number().min(0).default(1e-7),
  })
  .strict();

export const trainingDetectorSettingsSchema = z
  .object({
    hang: hangSettingsSchema.default(hangSettingsSchema.parse({})),
    slow: slowSettingsSchema.default(slowSettingsSchema.parse({})),
    loss: lossSettingsSchema.default(lossSettingsSchema.parse({})),
  })
  .strict();

export type HangSettings = z.infer<typeof hangSettingsSchema>;
export type SlowSettings = z.infer<typeof slowSettingsSchema>;
export type LossSettings = z.infer<typeof lossSettingsSchema>;
export type TrainingDetectorSettings = z.infer<typeof trainingDetectorSettingsSchema>;

export const DEFAULT_DETECTOR_SETTINGS: TrainingDetectorSettings = trainingDetectorSettingsSchema.parse({});
