/**
 * The checkpoint formats every side shares: the shm slot record a writer commits last, the
 * per-node manifest a tier holds for a step, the global MANIFEST and the LATEST pointer, and the
 * paths that place them. A leaf module (zod + node:path only) so the agent, the collector, the
 * writers and the tools agree without importing each other. See agent/checkpoint/FORMAT.md.
 */
import { join } from 'node:path';
import { z } from 'zod';

/** Slot record format tag; bumped on any incompatible change. */
export const SLOT_FORMAT = 'keelson.slot/1';
export const NODE_MANIFEST_FORMAT = 'keelson.node-manifest/1';
export const MANIFEST_FORMAT = 'keelson.manifest/1';

/** Shard data offsets inside a slot's data file are multiples of this. */
export const SHARD_ALIGN = 4096;

/** Names of the files in a slot directory. */
export const SLOT_FILES = {
  data: 'data',
  /** The commit record, written last (temp + rename): its presence means "complete". */
  commit: 'COMMIT',
  /** The commit record while the agent copies the slot out (renamed from COMMIT). */
  pinned: 'COMMIT.pinned',
  /** Present while a writer fills the slot. */
  writing: 'WRITING',
  /** Checksums the agent computed on its first read (temp + rename). */
  sums: 'SUMS',
} as const;

const name = z.string().min(1).max(1024);
/** Job ids become path components: letters, digits, dot, dash, underscore; not `.`/`..`. */
export const jobIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,128}$/, 'job id: 1-128 of [A-Za-z0-9._-]')
  .refine((s) => s !== '.' && s !== '..', 'job id may not be . or ..');
export const nodeIdSchema = jobIdSchema;

/** One shard inside a slot or a tier file: where it is and what it is. */
export const shardSchema = z.object({
  name,
  offset: z.number().int().nonnegative(),
  size: z.number().int().nonnegative(),
  dtype: z.string().max(32).optional(),
  shape: z.array(z.number().int().nonnegative()).max(32).optional(),
  /** CRC-32 (IEEE, zlib) of the shard bytes, as an unsigned 32-bit integer. */
  crc32: z.number().int().nonnegative().max(0xffffffff).optional(),
});
export type Shard = z.infer<typeof shardSchema>;
/** A shard whose checksum is known (tiers and manifests always carry it). */
export const summedShardSchema = shardSchema.required({ crc32: true });

/** The commit record of one shm slot; written last so a torn slot is never read as complete. */
export const slotRecordSchema = z.object({
  format: z.literal(SLOT_FORMAT),
  job: jobIdSchema,
  rank: z.number().int().nonnegative(),
  world: z.number().int().positive(),
  step: z.number().int().nonnegative(),
  /** Unique per save, so a slot re-saved with the same step is told apart. */
  saveId: z.string().min(1).max(64),
  slot: z.number().int().nonnegative(),
  createdAt: z.number().int().nonnegative(),
  /** Bytes of the data file in use (the file itself may be larger: slots are reused). */
  dataBytes: z.number().int().nonnegative(),
  shards: z.array(shardSchema).max(1_000_000),
});
export type SlotRecord = z.infer<typeof slotRecordSchema>;

/** The agent's checksums of one slot's shards, tied to the save they describe. */
export const slotSumsSchema = z.object({
  saveId: z.string().min(1).max(64),
  step: z.number().int().nonnegative(),
  crc32: z.array(z.number().int().nonnegative().max(0xffffffff)),
});
export type SlotSums = z.infer<typeof slotSumsSchema>;

/** One rank's copy of a step on a tier: one data file holding every shard. */
export const rankCopySchema = z.object({
  rank: z.number().int().nonnegative(),
  file: z.string().min(1).max(255),
  bytes: z.number().int().nonnegative(),
  shards: z.array(summedShardSchema).max(1_000_000),
});
export type RankCopy = z.infer<typeof rankCopySchema>;

/** Tier names, fastest first. `memory` is this node's shm, `peer` a buddy's memory. */
export const TIER_NAMES = ['memory', 'peer', 'nvme', 'pfs'] as const;
export const tierNameSchema = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/);

/** Everything one node holds for one step on one tier; written after every data file. */
export const nodeManifestSchema = z.object({
  format: z.literal(NODE_MANIFEST_FORMAT),
  job: jobIdSchema,
  step: z.number().int().nonnegative(),
  node: nodeIdSchema,
  tier: tierNameSchema,
  world: z.number().int().positive(),
  ranks: z.array(rankCopySchema),
  writtenAt: z.number().int().nonnegative(),
});
export type NodeManifest = z.infer<typeof nodeManifestSchema>;

/** The global record of a committed step: every rank present, with where and how it is held. */
export const globalManifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  job: jobIdSchema,
  step: z.number().int().nonnegative(),
  world: z.number().int().positive(),
  /** Tiers on which every rank is durable, fastest first. */
  tiers: z.array(tierNameSchema).min(1),
  ranks: z.array(rankCopySchema.extend({ node: nodeIdSchema })),
  committedAt: z.number().int().nonnegative(),
});
export type GlobalManifest = z.infer<typeof globalManifestSchema>;

/** The LATEST pointer beside the step directories. */
export const latestPointerSchema = z.object({
  job: jobIdSchema,
  step: z.number().int().nonnegative(),
  committedAt: z.number().int().nonnegative(),
});
export type LatestPointer = z.infer<typeof latestPointerSchema>;

/** `rank-00007` */
export function rankDirName(rank: number): string {
  return `rank-${String(rank).padStart(5, '0')}`;
}

/** `step-000000001234`: fixed width so names sort as numbers. */
export function stepDirName(step: number): string {
  return `step-${String(step).padStart(12, '0')}`;
}

/** The step number of a step directory name, or undefined. */
export function parseStepDirName(s: string): number | undefined {
  const m = /^step-(\d{12,})$/.exec(s);
  return m ? Number(m[1]) : undefined;
}

/** The rank data file name inside a tier's step directory. */
export function rankFileName(rank: number): string {
  return `${rankDirName(rank)}.data`;
}

/** The per-node manifest file name inside a step directory. */
export function nodeManifestName(node: string): string {
  return `node-${node}.json`;
}

/** Paths of the shm tree: `<root>/<job>/rank-RRRRR/slot-K/…`. */
export const shmPaths = {
  job: (root: string, job: string) => join(root, job),
  rank: (root: string, job: string, rank: number) => join(root, job, rankDirName(rank)),
  slot: (root: string, job: string, rank: number, slot: number) => join(root, job, rankDirName(rank), `slot-${slot}`),
};

/** Paths of a tier tree: `<root>/<job>/step-N/{rank-R.data,node-X.json,MANIFEST.json}`, `<root>/<job>/LATEST`. */
export const tierPaths = {
  job: (root: string, job: string) => join(root, job),
  step: (root: string, job: string, step: number) => join(root, job, stepDirName(step)),
  rankFile: (root: string, job: string, step: number, rank: number) =>
    join(root, job, stepDirName(step), rankFileName(rank)),
  nodeManifest: (root: string, job: string, step: number, node: string) =>
    join(root, job, stepDirName(step), nodeManifestName(node)),
  manifest: (root: string, job: string, step: number) => join(root, job, stepDirName(step), 'MANIFEST.json'),
  latest: (root: string, job: string) => join(root, job, 'LATEST'),
};

/** Round up to the shard alignment. */
export function alignUp(n: number, align = SHARD_ALIGN): number {
  return Math.ceil(n / align) * align;
}

/** Lay shards out back to back at aligned offsets; returns offsets and the bytes used. */
export function layoutShards(sizes: readonly number[]): { offsets: number[]; dataBytes: number } {
  const offsets: number[] = [];
  let at = 0;
  for (const s of sizes) {
    offsets.push(at);
    at = alignUp(at + s);
  }
  return { offsets, dataBytes: at };
}

/** Parse a JSON text with a schema; undefined when it is not valid (a torn or foreign file). */
export function parseJsonAs<T>(schema: z.ZodType<T>, text: string): T | undefined {
  try {
    const r = schema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}
