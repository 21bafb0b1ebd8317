/**
 * The one explicit list of built-in probes. Adding a probe means adding it here; nothing
 * registers itself by being imported.
 */
import { hostProbe } from './host/probe.ts';
import type { Probe } from './types.ts';

/** Every built-in probe, in the order they are started. */
export const BUILTIN_PROBES: readonly Probe[] = [hostProbe];
