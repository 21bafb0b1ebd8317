/**
 * Wire messages of the checkpoint engine, as zod schemas for the lead to add to
 * protocol/messages.ts (agent → collector: `ckpt-durable`, `ckpt-state`; collector → agent:
 * `ckpt-committed`). The `base` fields (`v`, `ts`) match the protocol's other messages.
 */
import { z } from 'zod';
import {
  globalManifestSchema,
  jobIdSchema,
  nodeIdSchema,
  rankCopySchema,
  tierNameSchema,
} from '../../checkpoint-lib/format.ts';

const base = { v: z.number().int(), ts: z.number().int().nonnegative() };

/** Agent → collector (sequenced): these ranks of (job, step) are durable on `tier` on this node. */
export const ckptDurableSchema = z.object({
  ...base,
  type: z.literal('ckpt-durable'),
  job: jobIdSchema,
  step: z.number().int().nonnegative(),
  node: nodeIdSchema,
  tier: tierNameSchema,
  world: z.number().int().positive(),
  ranks: z.array(rankCopySchema).max(4096),
});
export type CkptDurable = z.infer<typeof ckptDurableSchema>;

/** Collector → agent: the step is committed; the MANIFEST is on parallel storage. */
export const ckptCommittedSchema = z.object({
  ...base,
  type: z.literal('ckpt-committed'),
  manifest: globalManifestSchema,
});
export type CkptCommitted = z.infer<typeof ckptCommittedSchema>;

/** Agent → collector (not sequenced, latest wins): the node's checkpoint view (state-view.ts). */
export const ckptStateMsgSchema = z.object({
  ...base,
  type: z.literal('ckpt-state'),
  state: z.object({
    tiers: z.array(
      z.object({ tier: z.string().max(32), paused: z.boolean(), reason: z.string().max(1024).optional() }),
    ),
    jobs: z
      .array(
        z.object({
          job: jobIdSchema,
          newest: z.record(z.string().max(32), z.number().int()),
          committed: z.number().int().optional(),
          flushing: z.array(
            z.object({ tier: z.string(), step: z.number().int(), bytesDone: z.number(), bytesTotal: z.number() }),
          ),
          peerCopies: z.array(z.object({ node: z.string(), rank: z.number().int(), step: z.number().int() })).max(4096),
          replicated: z.number().int().optional(),
        }),
      )
      .max(256),
    memoryBytes: z.number().nonnegative(),
  }),
});
export type CkptStateMsg = z.infer<typeof ckptStateMsgSchema>;
