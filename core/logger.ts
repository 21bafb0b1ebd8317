/**
 * The logger factory: one root pino logger made by the entry point, one child per module
 * with its name bound. Log `{ err }` and structured keys, never a whole untrusted object.
 */
import { type Logger, pino } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Where to write; defaults to stderr so stdout stays for command output. */
  destination?: number;
}

/** Make the root logger; only entry points call this. */
export function createRootLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    { level: opts.level ?? 'info', base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: opts.destination ?? 2, sync: false }),
  );
}

/** A logger that discards everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** The child logger of one module. */
export function moduleLogger(root: Logger, module: string): Logger {
  return root.child({ module });
}
