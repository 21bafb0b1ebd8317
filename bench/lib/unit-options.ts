/** The NODE_OPTIONS a systemd unit of ours sets, so a bench runs a daemon with the production V8 flags. */
import { readFileSync } from 'node:fs';

/** `Environment=NODE_OPTIONS=...` of the unit file, or '' when it sets none. */
export function unitNodeOptions(unitPath: string): string {
  const m = /^Environment=("?)NODE_OPTIONS=(.*)\1$/m.exec(readFileSync(unitPath, 'utf8'));
  return m?.[2]?.trim() ?? '';
}

/**
 * The flags a unit gives node itself on its ExecStart (`/usr/bin/node --no-opt /usr/bin/keelson …`):
 * the ones NODE_OPTIONS does not accept. [] when ExecStart does not start with node.
 */
export function unitNodeArgs(unitPath: string): string[] {
  const m = /^ExecStart=(\S+)(.*)$/m.exec(readFileSync(unitPath, 'utf8'));
  if (!m || !/(^|\/)node$/.test(m[1]!)) return [];
  const args: string[] = [];
  for (const a of m[2]!.trim().split(/\s+/)) {
    if (!a.startsWith('-')) break;
    args.push(a);
  }
  return args;
}
