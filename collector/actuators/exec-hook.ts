/**
 * Exec hooks: a configured argument array (never a shell string) run for isolation events, with
 * the event as JSON on stdin and `{node}`, `{type}`, `{code}`, `{job}`, `{attempt}` placeholders
 * replaced inside arguments. Also the command-based restart hook of the fault-tolerant job flow.
 */
import { KeelsonError } from '../../core/errors.ts';
import type { JobRestartHook, RescheduleRequest, RestartRequest } from '../isolation/job-flow.ts';
import { runCommand } from './command.ts';
import { DEFAULT_RETRY, type RetryOptions, withRetry } from './retry.ts';
import type { IsolationEvent, IsolationNotifier } from './types.ts';

export interface ExecHookOptions {
  /** argv: the program and its arguments. */
  command: readonly string[];
  timeoutMs?: number;
  retry?: RetryOptions;
  env?: Record<string, string>;
}

/** Replace `{name}` placeholders in each argument; unknown names stay as they are. Pure. */
export function expandArgs(args: readonly string[], vars: Record<string, string | number | undefined>): string[] {
  return args.map((a) =>
    a.replace(/\{([a-zA-Z]+)\}/g, (whole, k: string) => (vars[k] !== undefined ? String(vars[k]) : whole)),
  );
}

async function runHook(opts: ExecHookOptions, vars: Record<string, string | number | undefined>, input: string) {
  const [cmd, ...rest] = opts.command;
  if (!cmd) throw new KeelsonError('CONFIG_INVALID', 'exec hook command is empty');
  await withRetry(
    () =>
      runCommand(cmd, expandArgs(rest, vars), {
        timeoutMs: opts.timeoutMs ?? 30_000,
        input,
        ...(opts.env ? { env: opts.env } : {}),
      }),
    opts.retry ?? DEFAULT_RETRY,
  );
}

/** Runs a command for every isolation event. */
export class ExecNotifier implements IsolationNotifier {
  readonly name = 'exec';
  constructor(private readonly opts: ExecHookOptions) {}

  async notify(event: IsolationEvent): Promise<void> {
    await runHook(
      this.opts,
      { node: event.node, type: event.type, code: event.code, job: event.detail?.job as string | undefined },
      `${JSON.stringify(event)}\n`,
    );
  }
}

/** The job flow's hook as commands: one to restart ranks locally, one to reschedule the job. */
export class CommandRestartHook implements JobRestartHook {
  constructor(
    private readonly restart: ExecHookOptions,
    private readonly reschedule?: ExecHookOptions,
  ) {}

  async restartLocal(req: RestartRequest): Promise<void> {
    await runHook(
      { ...this.restart, retry: { ...DEFAULT_RETRY, attempts: 1 } },
      { node: req.node, job: req.job, attempt: req.attempt, type: 'restart-job' },
      `${JSON.stringify(req)}\n`,
    );
  }

  async rescheduleJob(req: RescheduleRequest): Promise<void> {
    if (!this.reschedule) return;
    await runHook(
      this.reschedule,
      { node: req.node, job: req.job, step: req.checkpointStep, type: 'reschedule-job' },
      `${JSON.stringify(req)}\n`,
    );
  }
}
