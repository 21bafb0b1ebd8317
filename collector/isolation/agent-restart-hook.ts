/**
 * The job flow's restart through the job's own agent: the collector sends `job.restart` to the
 * node and the agent runs its configured hook (command, systemd unit or signal). Rescheduling
 * a job stays a collector-side command (the scheduler is reached from here), when configured.
 */
import { KeelsonError } from '../../core/errors.ts';
import type { CommandDispatcher } from '../commands.ts';
import type { JobRestartHook, RescheduleRequest, RestartRequest } from './job-flow.ts';

export class AgentRestartHook implements JobRestartHook {
  constructor(
    private readonly commands: Pick<CommandDispatcher, 'run'>,
    private readonly reschedule?: (req: RescheduleRequest) => Promise<void>,
    private readonly timeoutMs = 120_000,
  ) {}

  async restartLocal(req: RestartRequest): Promise<void> {
    const r = await this.commands.run(
      req.node,
      'job.restart',
      { job: req.job, attempt: req.attempt, reason: req.reason },
      this.timeoutMs,
    );
    if (!r.ok)
      throw new KeelsonError(
        'ACTUATOR_FAILED',
        `${req.node} could not restart ${req.job}: ${r.error ?? 'unknown error'}`,
      );
  }

  async rescheduleJob(req: RescheduleRequest): Promise<void> {
    if (!this.reschedule) {
      throw new KeelsonError(
        'ACTUATOR_FAILED',
        'no reschedule command is configured (isolation.jobFlow.rescheduleCommand)',
      );
    }
    await this.reschedule(req);
  }
}
