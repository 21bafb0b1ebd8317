/**
 * The checkpoint state each agent streams to the collector (message type `ckpt-state`, not
 * sequenced: the newest supersedes): per job the newest step on each tier, the committed
 * step and the flush in flight; paused tiers.
 */
import { z } from 'zod';

const name = z.string().min(1).max(256);

export const ckptJobStateSchema = z.object({
  job: name,
  /** tier → newest step complete there for this node. */
  newest: z.record(z.string().max(32), z.number().int()),
  committed: z.number().int().optional(),
  flushing: z
    .array(
      z.object({ tier: z.string().max(32), step: z.number().int(), bytesDone: z.number(), bytesTotal: z.number() }),
    )
    .max(16)
    .default([]),
  /** Replicas this node holds for buddies. */
  peerCopies: z
    .array(z.object({ node: name, rank: z.number().int(), step: z.number().int() }))
    .max(4096)
    .default([]),
  /** Newest step each buddy acknowledged for this node's ranks. */
  replicated: z.number().int().optional(),
});

export const ckptStateSchema = z.object({
  tiers: z
    .array(z.object({ tier: z.string().max(32), paused: z.boolean(), reason: z.string().max(1024).optional() }))
    .max(16),
  jobs: z.array(ckptJobStateSchema).max(256),
  memoryBytes: z.number().nonnegative(),
});
export type CkptState = z.infer<typeof ckptStateSchema>;
