/**
 * The nvme probe's settings, validated: checkpoint volumes to watch for free space and the
 * limits of the SMART rules. Keys this probe does not know are ignored (the agent may keep its
 * own per-probe keys such as intervals beside them).
 */
import { z } from 'zod';
import { KeelsonError } from '../../core/errors.ts';
import { DEFAULT_NVME_THRESHOLDS, type NvmeThresholds } from './rules.ts';

/** Schema of `probes.nvme` in the agent config. */
export const nvmeSettingsSchema = z.object({
  /** Directories checkpoints are written to on local NVMe (free space is watched). */
  checkpointDirs: z.array(z.string().min(1)).default([]),
  wearWarnPct: z.number().min(0).default(DEFAULT_NVME_THRESHOLDS.wearWarnPct),
  wearDegradedPct: z.number().min(0).default(DEFAULT_NVME_THRESHOLDS.wearDegradedPct),
  temperatureWarnC: z.number().default(DEFAULT_NVME_THRESHOLDS.temperatureWarnC),
  temperatureCritC: z.number().default(DEFAULT_NVME_THRESHOLDS.temperatureCritC),
  diskWarnRatio: z.number().min(0).max(1).default(DEFAULT_NVME_THRESHOLDS.diskWarnRatio),
  diskDegradedRatio: z.number().min(0).max(1).default(DEFAULT_NVME_THRESHOLDS.diskDegradedRatio),
  /** Per-command timeout for nvme / smartctl, ms. */
  commandTimeoutMs: z.number().int().positive().default(10_000),
});

/** Validated nvme settings. */
export type NvmeSettings = z.infer<typeof nvmeSettingsSchema> & NvmeThresholds;

/** Validate the probe's settings, or throw CONFIG_INVALID naming the key. */
export function readNvmeSettings(raw: Record<string, unknown>): NvmeSettings {
  const r = nvmeSettingsSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const key = issue ? issue.path.join('.') || '(root)' : '(root)';
    throw new KeelsonError('CONFIG_INVALID', `probes.nvme.${key}: ${issue?.message ?? 'invalid'}`);
  }
  return r.data;
}
