/** What every `keelson` subcommand shares: config files, port arguments, signals, stdio. */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import type { CliIo } from '../collector/isolation/cli-client.ts';
import { KeelsonError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';

/** The text of a YAML config file, or nothing when no path is given. */
export function readConfigFile(path: string | undefined): { fileText?: string; fileName?: string } {
  if (!path) return {};
  try {
    return { fileText: readFileSync(path, 'utf8'), fileName: path };
  } catch (err) {
    throw new KeelsonError('CONFIG_UNREADABLE', `cannot read config file ${path}: ${(err as Error).message}`);
  }
}

/** Commander parser for a port number. */
export function portArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('expected a port number 0-65535');
  return n;
}

/**
 * Installs SIGINT/SIGTERM handling before anything starts, so a signal during start-up still
 * stops cleanly; components register their stop functions as they come up and are stopped in
 * reverse order. A second signal exits at once.
 */
export function shutdownOnSignals(log: () => Logger | undefined): { add(stop: () => Promise<void>): void } {
  const stoppers: (() => Promise<void>)[] = [];
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    log()?.info({ signal }, 'shutting down');
    (async () => {
      for (const stop of stoppers.reverse()) {
        try {
          await stop();
        } catch (err) {
          log()?.error({ err }, 'error while stopping');
        }
      }
      log()?.flush();
      process.exit(0);
    })();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return { add: (stop) => void stoppers.push(stop) };
}

/** The process's stdout and stderr as the CLI helpers write to them. */
export const stdio: CliIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };
