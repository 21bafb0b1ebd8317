/**
 * The host probe: CPU load, memory and filesystem space, read from /proc and statfs (no child
 * process on a host without network or FUSE mounts). Always supported.
 */
import { z } from 'zod';
import { KeelsonError } from '../../core/errors.ts';
import { limitsOf, type Probe, type ProbeDefaults } from '../types.ts';
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

const defaults: ProbeDefaults = { intervalSec: 30, timeoutMs: 10_000, outputCapBytes: 1024 * 1024 };

export const hostProbe: Probe = {
  name: 'host',
  defaults,
  async isSupported() {
    return { supported: true };
  },
  async run(ctx) {
    const s = settingsSchema.safeParse(ctx.settings);
    if (!s.success) throw new KeelsonError('CONFIG_INVALID', `probes.host.settings: ${s.error.issues[0]?.message}`);
    // Half the run's budget for the `stat -f` of network mounts, so a hung one is named as such.
    const commandTimeoutMs = Math.max(1_000, Math.floor(limitsOf(ctx, defaults).timeoutMs / 2));
    const rec = parseHostRaw(await readHost({ runner: ctx.runner, commandTimeoutMs, signal: ctx.signal }));
    return { observations: judgeHost(rec, { ...DEFAULT_HOST_THRESHOLDS, ...s.data }), metrics: hostMetrics(rec) };
  },
};
