/**
 * Runs external commands for probes: argument arrays (never a shell string), a timeout,
 * an output cap, and errors with stable codes. Async only, so the event loop never blocks.
 */
import { spawn } from 'node:child_process';
import { KeelsonError } from '../core/errors.ts';

export interface RunOptions {
  timeoutMs: number;
  outputCapBytes: number;
  signal?: AbortSignal;
  /** Accept these exit codes as success (default [0]). */
  okExitCodes?: number[];
  /** Extra environment for the command (the simulator points tools at fixtures this way). */
  env?: Record<string, string>;
}

export interface CommandOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** The runner probes receive; tests replace it with one that serves fixture output. */
export interface CommandRunner {
  run(command: string, args: readonly string[], opts: RunOptions): Promise<CommandOutput>;
}

/** The real runner: spawn without a shell, kill the process group's child on timeout or cap. */
export const processRunner: CommandRunner = {
  run(command, args, opts) {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...opts.env, LC_ALL: 'C' },
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let bytes = 0;
      let failure: KeelsonError | undefined;
      const stop = (e: KeelsonError) => {
        if (failure) return;
        failure = e;
        child.kill('SIGKILL');
      };
      const timer = setTimeout(
        () => stop(new KeelsonError('CMD_TIMEOUT', `${command} did not finish within ${opts.timeoutMs} ms`)),
        opts.timeoutMs,
      );
      const onAbort = () => stop(new KeelsonError('CMD_TIMEOUT', `${command} was cancelled`));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const collect = (sink: Buffer[]) => (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > opts.outputCapBytes) {
          stop(new KeelsonError('CMD_OUTPUT_CAP', `${command} printed more than ${opts.outputCapBytes} bytes`));
          return;
        }
        sink.push(chunk);
      };
      child.stdout.on('data', collect(out));
      child.stderr.on('data', collect(err));
      const finish = () => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      child.on('error', (e: NodeJS.ErrnoException) => {
        finish();
        if (e.code === 'ENOENT') reject(new KeelsonError('CMD_MISSING', `${command} is not installed`, { cause: e }));
        else reject(new KeelsonError('CMD_FAILED', `${command} could not start: ${e.message}`, { cause: e }));
      });
      child.on('close', (code, signal) => {
        finish();
        if (failure) return reject(failure);
        const stdout = Buffer.concat(out).toString('utf8');
        const stderr = Buffer.concat(err).toString('utf8');
        const exitCode = code ?? -1;
        if (signal || !(opts.okExitCodes ?? [0]).includes(exitCode)) {
          const why = signal ? `killed by ${signal}` : `exited ${exitCode}`;
          const tail = stderr.trim().split('\n').slice(-1)[0] ?? '';
          return reject(
            Object.assign(new KeelsonError('CMD_FAILED', `${command} ${why}${tail ? `: ${tail}` : ''}`), {
              output: { stdout, stderr, exitCode },
            }),
          );
        }
        resolve({ stdout, stderr, exitCode });
      });
    });
  },
};
