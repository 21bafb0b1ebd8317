/**
 * Runs the actuators' external commands (scontrol, sinfo, exec hooks): argument arrays, never
 * a shell string; a timeout and an output cap; failures carry CMD_* codes.
 */
import { execFile } from 'node:child_process';
import { KeelsonError } from '../../core/errors.ts';

export interface CommandResult {
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  timeoutMs: number;
  /** Extra environment (e.g. SLURM_CONF); merged over the collector's own. */
  env?: Record<string, string>;
  outputCapBytes?: number;
  /** Written to the command's stdin (an exec hook's JSON event). */
  input?: string;
}

/** Run `command args…`; resolves on exit 0, rejects with CMD_MISSING/CMD_TIMEOUT/CMD_FAILED. */
export function runCommand(command: string, args: readonly string[], opts: CommandOptions): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      {
        timeout: opts.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: opts.outputCapBytes ?? 1024 * 1024,
        env: { ...process.env, LC_ALL: 'C', ...opts.env },
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        if (!err) {
          resolve({ stdout, stderr });
          return;
        }
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: string | number; signal?: string };
        const shown = [command, ...args].join(' ').slice(0, 300);
        if (e.code === 'ENOENT') reject(new KeelsonError('CMD_MISSING', `${command} is not installed`, { cause: err }));
        else if (e.killed && e.signal === 'SIGKILL')
          reject(
            new KeelsonError('CMD_TIMEOUT', `${shown} did not finish within ${opts.timeoutMs} ms`, { cause: err }),
          );
        else if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER')
          reject(new KeelsonError('CMD_OUTPUT_CAP', `${shown} printed too much`, { cause: err }));
        else
          reject(
            new KeelsonError(
              'CMD_FAILED',
              `${shown} failed (${e.code ?? e.signal}): ${String(stderr || stdout)
                .trim()
                .slice(0, 500)}`,
              { cause: err },
            ),
          );
      },
    );
    // A command that exits without reading its input makes the write fail (EPIPE): its exit
    // status says what happened, and an unhandled stream error must never crash the collector.
    child.stdin?.on('error', () => {});
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}
