/**
 * What a training rank reports (over the socket, UDP, or parsed from its log), validated with
 * zod: one step's progress, optional loss and throughput, and the phase the rank is in.
 */
import { z } from 'zod';

import { TRAINING_PHASES } from '../../protocol/training.ts';

export type { TrainingPhase } from '../../protocol/training.ts';

const NON_FINITE: Record<string, number> = {
  nan: Number.NaN,
  NaN: Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  Infinity: Number.POSITIVE_INFINITY,
  '+inf': Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};

/** A loss may be NaN/Inf, which JSON cannot carry as a number: clients send "nan", "inf", "-inf". */
const lossValue = z.union([
  z.number(),
  z.enum(Object.keys(NON_FINITE) as [string, ...string[]]).transform((s) => NON_FINITE[s] ?? Number.NaN),
]);

const count = z.number().nonnegative().max(1e18);

/** One report from a rank, as it arrives on the wire (unknown keys are dropped). */
export const rankReportSchema = z.object({
  job: z.string().min(1).max(256),
  rank: z.number().int().min(0).max(10_000_000),
  world: z.number().int().min(1).max(10_000_000).optional(),
  node: z.string().min(1).max(253).optional(),
  step: z.number().int().min(0).max(1e15),
  loss: lossValue.optional(),
  tokens: count.optional(),
  samples: count.optional(),
  phase: z.enum(TRAINING_PHASES).optional(),
  /** The rank's own clock, epoch ms. */
  ts: z.number().nonnegative().optional(),
  /** Time the rank spent on this step (ideally compute only, without waiting in collectives), ms. */
  stepMs: z.number().nonnegative().max(1e10).optional(),
  /** The rank (re)started from the checkpoint of this step (reported once, with its first step after loading). */
  restoredFrom: z.number().int().min(0).max(1e15).optional(),
});
export type RankReport = z.infer<typeof rankReportSchema>;

/** Where a sample came from. */
export type SampleSource = 'socket' | 'udp' | 'log';

/** A validated report plus when and how the agent received it. */
export interface TrainingSample extends RankReport {
  receivedAt: number;
  source: SampleSource;
  /** Megatron's "number of nan iterations" since the previous report, when a log says it. */
  nanIterations?: number;
}

/** The component a job's findings are about. */
export function jobComponent(job: string, rank?: number): string {
  return rank === undefined ? `job:${job}` : `job:${job}/rank:${rank}`;
}
