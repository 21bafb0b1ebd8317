/** The host probe: CPU load, memory and filesystem space. Always supported. */
import { z } from 'zod';
import { KeelsonError } from '../../core/errors.ts';
import type { Probe } from '../types.ts';
import { parseHostRaw } from './parse.ts';
import { readHost } from './read.ts';
import { DEFAULT_HOST_THRESHOLDS, hostMetrics, judgeHost } from './rules.ts';

const settingsSchema = z
  .object({
    memAvailableWarnRatio: z.number().min(0).max(1),
    memAvailableDegradedRatio: z.number().min(0).max(1),
    fsUsedWarnRatio: z.number().min(0).max(1),
    fsUsedDegradedRatio: z.number().min(0).max(1),
  })
  .partial()
  .strict();

export const hostProbe: Probe = {
  name: 'host',
  defaults: { intervalSec: 30, timeoutMs: 10_000, outputCapBytes: 1024 * 1024 },
  async isSupported() {
    return { supported: true };
  },
  async run(ctx) {
    const s = settingsSchema.safeParse(ctx.settings);
    if (!s.success) throw new KeelsonError('CONFIG_INVALID', `probes.host.settings: ${s.error.issues[0]?.message}`);
    const rec = parseHostRaw(await readHost());
    return { observations: judgeHost(rec, { ...DEFAULT_HOST_THRESHOLDS, ...s.data }), metrics: hostMetrics(rec) };
  },
};
