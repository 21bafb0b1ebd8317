/**
 * The gpu probe's settings (from the agent config), validated with zod, with named defaults.
 * Every threshold the rules use lives here so operators can tune it per cluster.
 */
import { z } from 'zod';
import { KeelsonError } from '../../core/errors.ts';

/** Schema of the gpu probe's settings; unknown keys are rejected so typos are noticed. */
export const gpuSettingsSchema = z
  .object({
    /** GPUs this node must have; default: the NVIDIA GPUs seen on the PCI bus. */
    expectedCount: z.number().int().min(0).optional(),
    /** MIG mode every GPU must be in. */
    expectedMig: z.enum(['enabled', 'disabled']).optional(),
    /** Force whether GPUs must have active NVLinks (default: inferred from the part name and peers). */
    expectNvlink: z.boolean().optional(),
    /** Warn when the GPU is this close (°C) to its slowdown threshold. */
    temperatureMarginC: z.number().min(0).max(50).default(5),
    /** Sliding window for throttle reasons. */
    throttleWindowMs: z
      .number()
      .int()
      .min(1000)
      .default(10 * 60_000),
    /** Samples needed in the window before a throttle reason can alert (never fewer than 2). */
    throttleMinSamples: z.number().int().min(2).default(3),
    /** Fraction of window samples with the reason active that makes a finding. */
    throttleFraction: z.number().gt(0).max(1).default(0.5),
    /** Window and threshold for the correctable-ECC rate. */
    sbeWindowMs: z
      .number()
      .int()
      .min(1000)
      .default(60 * 60_000),
    sbeThreshold: z.number().int().min(1).default(10),
    /** Window and threshold for the PCIe replay rate. */
    replayWindowMs: z
      .number()
      .int()
      .min(1000)
      .default(10 * 60_000),
    replayThreshold: z.number().int().min(1).default(100),
    /** Utilisation (%) from which a GPU counts as busy for the PCIe downtraining rule. */
    busyUtilPercent: z.number().min(0).max(100).default(10),
    /** Consecutive busy-and-downtrained samples before a live finding. */
    pcieConsecutive: z.number().int().min(1).default(2),
    /** Retired pages (SBE + DBE) from which a board is an RMA candidate. */
    retiredPagesLimit: z.number().int().min(1).default(60),
    /** Warn when persistence mode is off. */
    persistenceRequired: z.boolean().default(true),
  })
  .strict();

/** Validated settings with defaults filled in. */
export type GpuSettings = z.output<typeof gpuSettingsSchema>;

/** The defaults, as used by `keelson analyze`. */
export const DEFAULT_GPU_SETTINGS: GpuSettings = gpuSettingsSchema.parse({});

/** Validate the probe's settings; throws KeelsonError('CONFIG_INVALID') naming the key. */
export function parseGpuSettings(raw: unknown): GpuSettings {
  const r = gpuSettingsSchema.safeParse(raw ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const key = issue?.path.join('.') || '(root)';
  throw new KeelsonError('CONFIG_INVALID', `probes.gpu.${key}: ${issue?.message ?? 'invalid'}`);
}
