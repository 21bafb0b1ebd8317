/**
 * The checkpoint messages: the state each agent streams to the collector (`ckpt-state`, not
 * sequenced: the newest supersedes), the durable reports the collector commits from
 * (`ckpt-durable`, sequenced) and its answer once a step is committed (`ckpt-committed`).
 * The shapes of shards and manifests are the shared format's (checkpoint-lib/format.ts).
 */
import { z } from 'zod';
import {
  globalManifestSchema,
  jobIdSchema,
  nodeIdSchema,
  rankCopySchema,
  tierNameSchema,
} from '../checkpoint-lib/format.ts';

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

/** Agent → collector (sequenced): these ranks of (job, step) are durable on `tier` on this node. */
export const ckptDurablePayloadSchema = z.object({
  job: jobIdSchema,
  step: z.number().int().nonnegative(),
  node: nodeIdSchema,
  tier: tierNameSchema,
  world: z.number().int().positive(),
  ranks: z.array(rankCopySchema).max(4096),
});

/** Collector → agent: the step is committed; the MANIFEST is on parallel storage. */
export const ckptCommittedPayloadSchema = z.object({ manifest: globalManifestSchema });
