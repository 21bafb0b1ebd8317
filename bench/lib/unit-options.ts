/** The NODE_OPTIONS a systemd unit of ours sets, so a bench runs a daemon with the production V8 flags. */
import { readFileSync } from 'node:fs';

/** `Environment=NODE_OPTIONS=...` of the unit file, or '' when it sets none. */
export function unitNodeOptions(unitPath: string): string {
  const m = /^Environment=NODE_OPTIONS=(.*)$/m.exec(readFileSync(unitPath, 'utf8'));
  return m?.[1]?.trim().replace(/^"(.*)"$/, '$1') ?? '';
}
