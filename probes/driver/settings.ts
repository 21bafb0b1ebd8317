/**
 * The driver probe's settings, validated: where the CUDA toolkit and NCCL live, the fabric
 * manager's unit name, and the per-command timeout. Keys this probe does not know are ignored.
 */
import { z } from 'zod';
import { KeelsonError } from '../../core/errors.ts';

/** Directories searched for libnccl.so.X.Y.Z when ncclLibPath is not set. */
export const DEFAULT_NCCL_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/local/nccl/lib',
  '/opt/nccl/lib',
  '/usr/local/cuda/lib64',
];

/** nccl.h locations tried after the library directories. */
export const DEFAULT_NCCL_HEADERS = ['/usr/include/nccl.h', '/usr/local/cuda/include/nccl.h'];

/** Schema of `probes.driver` in the agent config. */
export const driverSettingsSchema = z.object({
  /** CUDA toolkit root; its version.json (or version.txt) gives the toolkit version. */
  cudaPath: z.string().min(1).default('/usr/local/cuda'),
  /** A libnccl.so.X.Y.Z file, a directory holding one, nccl.h, or a text file with the version. */
  ncclLibPath: z.string().min(1).optional(),
  ncclSearchDirs: z.array(z.string().min(1)).default(DEFAULT_NCCL_DIRS),
  ncclHeaders: z.array(z.string().min(1)).default(DEFAULT_NCCL_HEADERS),
  fabricManagerUnit: z.string().min(1).default('nvidia-fabricmanager'),
  /** Per-command timeout (nvidia-smi can take seconds on a busy 8-GPU host), ms. */
  commandTimeoutMs: z.number().int().positive().default(20_000),
});

/** Validated driver settings. */
export type DriverSettings = z.infer<typeof driverSettingsSchema>;

/** Validate the probe's settings, or throw CONFIG_INVALID naming the key. */
export function readDriverSettings(raw: Record<string, unknown>): DriverSettings {
  const r = driverSettingsSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const key = issue ? issue.path.join('.') || '(root)' : '(root)';
    throw new KeelsonError('CONFIG_INVALID', `probes.driver.${key}: ${issue?.message ?? 'invalid'}`);
  }
  return r.data;
}
