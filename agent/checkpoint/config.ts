/**
 * The `checkpoint:` section of the agent config: where trainers' shm slots are, the durable
 * tiers (local NVMe directory, parallel-storage directory) and how the flush behaves.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { DirTier, type Tier } from './tier.ts';

export const checkpointConfigSchema = z
  .object({
    /** Off until a tier is configured: checkpoints go nowhere by default. */
    enabled: z.boolean().default(false),
    /** Where trainers' slots live (`<shmRoot>/<job>/…`). */
    shmRoot: z.string().min(1).default('/dev/shm/keelson'),
    /** Unix socket trainers notify after a save (default `<stateDir>/ckpt.sock`; KEELSON_CKPT_SOCKET for them). */
    socket: z.string().min(1).optional(),
    /** Local NVMe directory (the fast durable tier). */
    nvmeDir: z.string().min(1).optional(),
    /** Mounted parallel storage (Lustre/GPFS/NFS): where MANIFEST and LATEST are committed. */
    pfsDir: z.string().min(1).optional(),
    /** Ranks copied at once within one flush. */
    concurrency: z.number().int().min(1).max(64).default(2),
    /** Per-tier bandwidth cap, bytes/s (0 = none). */
    bandwidthBytesPerSec: z.number().int().min(0).default(0),
    /** How often the checkpoint state goes to the collector (and paused tiers are judged), ms. */
    stateIntervalMs: z.number().int().min(200).max(600_000).default(5000),
    /**
     * Peer replication: each node sends its in-memory shards to a buddy's agent, so a node lost
     * before its flush still has its checkpoint in memory elsewhere. `nodes` maps every node of
     * the group to its replication address (host:port); the buddy follows `mode`.
     */
    peer: z
      .object({
        listenHost: z.string().min(1).default('0.0.0.0'),
        port: z.number().int().min(0).max(65_535),
        mode: z.enum(['pairs', 'ring']).default('pairs'),
        nodes: z.record(z.string().min(1), z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port')),
        /** Most bytes of buddies' replicas held in memory (0 = unlimited). */
        budgetBytes: z.number().int().min(0).default(0),
      })
      .strict()
      .optional(),
    /** Complete steps each tier keeps (the newest complete one is always kept). */
    keep: z.record(z.string(), z.number().int().min(1)).default({ nvme: 2, pfs: 2 }),
  })
  .strict()
  .refine((c) => !c.enabled || c.nvmeDir || c.pfsDir, {
    message: 'checkpoint.enabled needs nvmeDir or pfsDir',
    path: ['enabled'],
  });

export type CheckpointConfig = z.infer<typeof checkpointConfigSchema>;

/** The durable tiers, fastest first; the last one is where commits are written. */
export function tiersOf(c: CheckpointConfig): Tier[] {
  return [...(c.nvmeDir ? [new DirTier('nvme', c.nvmeDir)] : []), ...(c.pfsDir ? [new DirTier('pfs', c.pfsDir)] : [])];
}

/** The socket trainers notify. */
export function noteSocketOf(c: CheckpointConfig, stateDir: string): string {
  return c.socket ?? join(stateDir, 'ckpt.sock');
}
