/** The kernel-log probe's settings from the agent config, validated with defaults. */
import { z } from 'zod';
import { KeelsonError } from '../../core/errors.ts';
import { ACTIONS, SEVERITIES } from '../../core/finding.ts';
import type { XidOverrides } from './catalog.ts';

const schema = z.object({
  /** Per-Xid overrides: `{ "13": { severity: "info", action: "none" } }`. */
  xidOverrides: z
    .record(
      z.string().regex(/^\d+$/, 'xid override keys are Xid numbers'),
      z.object({ severity: z.enum(SEVERITIES).optional(), action: z.enum(ACTIONS).optional() }).strict(),
    )
    .default({}),
  /** Repeats of one code on one component within this many seconds of the first count as one. */
  burstWindowSec: z.number().positive().default(180),
  /** This many link state changes of one interface within flapWindowSec is a flap. */
  flapTransitions: z.number().int().min(2).default(4),
  flapWindowSec: z.number().positive().default(600),
  /** Which source to follow; `auto` tries /dev/kmsg, then journalctl, then dmesg polling. */
  source: z.enum(['auto', 'kmsg', 'journal', 'dmesg']).default('auto'),
  /** Seconds between dmesg polls (the last fallback). */
  dmesgPollSec: z.number().positive().default(10),
});

/** Validated kernel-log settings. */
export interface KernelLogSettings {
  xidOverrides: XidOverrides;
  burstWindowSec: number;
  flapTransitions: number;
  flapWindowSec: number;
  source: 'auto' | 'kmsg' | 'journal' | 'dmesg';
  dmesgPollSec: number;
}

/** Validate raw settings (unknown keys are ignored); throws KeelsonError('CONFIG_INVALID') naming the key. */
export function parseKernelLogSettings(raw: Record<string, unknown> | undefined): KernelLogSettings {
  const r = schema.safeParse(raw ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue ? issue.path.join('.') : '?';
    throw new KeelsonError('CONFIG_INVALID', `kernel-log settings: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return r.data;
}

/** Defaults, for analyzers and tests. */
export const DEFAULT_KERNEL_LOG_SETTINGS: KernelLogSettings = parseKernelLogSettings({});
