/**
 * Restarting a job's ranks on this node when the collector asks (`job.restart`): a command,
 * a systemd unit, or a signal to the ranks' processes, as configured. `{job}`, `{attempt}` and
 * `{node}` in the configured strings are replaced. Pure planning; the agent runs the result
 * through its command runner (argument arrays, never a shell string).
 */
import { z } from 'zod';
import { KeelsonError } from '../../core/errors.ts';

export const restartHookSchema = z
  .object({
    /** argv to run, e.g. ["systemctl", "restart", "train@{job}"] or a site script. */
    command: z.array(z.string().min(1)).min(1).optional(),
    /** A systemd unit to restart (`systemctl restart <unit>`). */
    systemdUnit: z.string().min(1).optional(),
    /** Signal the ranks: processes whose command line matches `pattern` get `signal` (pkill -f). */
    signal: z
      .object({
        pattern: z.string().min(1),
        signal: z
          .string()
          .regex(/^[A-Z0-9]+$/)
          .default('TERM'),
      })
      .strict()
      .optional(),
    timeoutMs: z.number().int().min(100).default(60_000),
  })
  .strict()
  .refine((h) => [h.command, h.systemdUnit, h.signal].filter(Boolean).length <= 1, {
    message: 'choose one of command, systemdUnit or signal',
  });

export type RestartHookConfig = z.infer<typeof restartHookSchema>;

/** What the collector asks for. */
export interface RestartRequestArgs {
  job: string;
  attempt: number;
}

const fill = (s: string, req: RestartRequestArgs, node: string) =>
  s.replaceAll('{job}', req.job).replaceAll('{attempt}', String(req.attempt)).replaceAll('{node}', node);

/** The command that carries out a restart, or NOT_FOUND when none is configured. */
export function planRestart(
  cfg: RestartHookConfig | undefined,
  req: RestartRequestArgs,
  node: string,
): { command: string; args: string[] } {
  if (cfg?.command) {
    const [command, ...args] = cfg.command.map((s) => fill(s, req, node));
    return { command: command!, args };
  }
  if (cfg?.systemdUnit) return { command: 'systemctl', args: ['restart', fill(cfg.systemdUnit, req, node)] };
  if (cfg?.signal)
    return { command: 'pkill', args: [`-${cfg.signal.signal}`, '-f', fill(cfg.signal.pattern, req, node)] };
  throw new KeelsonError('NOT_FOUND', 'no restart hook is configured on this agent (training.restart)');
}
