/**
 * Parses Slurm's node listing `sinfo -N -h -o '%N|%T|%E'` (name, long state, reason) into
 * observed nodes. Pure. A node in several partitions appears once per partition; the first
 * line wins. The reason is the rest of the line, so a reason with `|` survives.
 */
import { KeelsonError } from '../../core/errors.ts';
import type { ObservedNode } from '../isolation/safety.ts';

/** The sinfo format the parser expects. */
export const SINFO_FORMAT = '%N|%T|%E';

/** Suffixes sinfo appends to a state: not responding, powered off, powering, rebooting, … */
const STATE_FLAGS = /[*~#!%$@^-]+$/;

/** Whether a Slurm long state means the node takes no new work because someone drained or downed it. */
export function isIsolatedSlurmState(state: string): boolean {
  const s = state.replace(STATE_FLAGS, '').toLowerCase();
  return /drain|down|fail|maint/.test(s);
}

/** Parse sinfo output into a map by node name. */
export function parseSinfoNodes(text: string): Map<string, ObservedNode> {
  const out = new Map<string, ObservedNode>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!line.trim()) continue;
    const a = line.indexOf('|');
    const b = a < 0 ? -1 : line.indexOf('|', a + 1);
    if (a <= 0 || b < 0)
      throw new KeelsonError('PARSE_FAILED', `sinfo line is not NAME|STATE|REASON: ${line.slice(0, 200)}`);
    const name = line.slice(0, a).trim();
    const state = line.slice(a + 1, b).trim();
    const reasonRaw = line.slice(b + 1).trim();
    if (out.has(name)) continue;
    const reason = reasonRaw === '' || reasonRaw === 'none' || reasonRaw === '(null)' ? undefined : reasonRaw;
    out.set(name, {
      exists: true,
      isolated: isIsolatedSlurmState(state),
      state,
      ...(reason !== undefined ? { reason } : {}),
    });
  }
  return out;
}
