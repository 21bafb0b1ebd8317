/**
 * The host-hw probe's settings, validated: the checkpoint budget /dev/shm must hold, the
 * mounts that must be present and answering, and the limits of the rules. Keys this probe does
 * not know are ignored.
 */
import { z } from 'zod';
import { KeelsonError } from '../../core/errors.ts';

const mountSchema = z.union([
  z.string().startsWith('/'),
  z.object({
    path: z.string().startsWith('/'),
    /** Expected file system type (`lustre`, `nfs` matches `nfs4` too, `gpfs`...). */
    fstype: z.string().min(1).optional(),
  }),
]);

/** Schema of `probes.host-hw` in the agent config. */
export const hostHwSettingsSchema = z.object({
  /** Bytes of in-memory checkpoint slots /dev/shm must be able to hold. */
  checkpointBudgetBytes: z.number().int().positive().optional(),
  mounts: z.array(mountSchema).default([]),
  /** How long a mount may take to answer statfs before it counts as hung, ms. */
  mountTimeoutMs: z.number().int().positive().default(5_000),
  /** Correctable memory errors per hour that warn. */
  edacCePerHourWarn: z.number().positive().default(10),
  /** Clock offset that warns, ms. */
  clockMaxOffsetMs: z.number().positive().default(100),
  commandTimeoutMs: z.number().int().positive().default(5_000),
});

/** Validated host-hw settings, mounts normalised to objects. */
export type HostHwSettings = Omit<z.infer<typeof hostHwSettingsSchema>, 'mounts'> & {
  mounts: { path: string; fstype?: string }[];
};

/** Validate the probe's settings, or throw CONFIG_INVALID naming the key. */
export function readHostHwSettings(raw: Record<string, unknown>): HostHwSettings {
  const r = hostHwSettingsSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const key = issue ? issue.path.join('.') || '(root)' : '(root)';
    throw new KeelsonError('CONFIG_INVALID', `probes.host-hw.${key}: ${issue?.message ?? 'invalid'}`);
  }
  return { ...r.data, mounts: r.data.mounts.map((m) => (typeof m === 'string' ? { path: m } : m)) };
}
