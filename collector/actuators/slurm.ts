/**
 * The Slurm actuator: `scontrol update NodeName=… State=DRAIN Reason=…` to isolate, `State=RESUME`
 * to release, `sinfo` to read state and reason. Idempotent (drained with our reason already →
 * nothing to do; not drained → nothing to release) and retried; never drains or resumes a node
 * whose drain reason is not Keelson's.
 */
import { KeelsonError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { isOwnReason, type ObservedNode } from '../isolation/safety.ts';
import { runCommand } from './command.ts';
import { DEFAULT_RETRY, type RetryOptions, withRetry } from './retry.ts';
import { parseSinfoNodes, SINFO_FORMAT } from './slurm-parse.ts';
import type { NodeActuator } from './types.ts';

export interface SlurmActuatorOptions {
  scontrol?: string;
  sinfo?: string;
  /** Environment for the commands, e.g. { SLURM_CONF: '/etc/slurm/slurm.conf' }. */
  env?: Record<string, string>;
  timeoutMs?: number;
  retry?: RetryOptions;
  /** After RESUME, wait until the node no longer shows a drain (ms; 0 = do not wait). */
  resumeWaitMs?: number;
  log: Logger;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export class SlurmActuator implements NodeActuator {
  readonly name = 'slurm';
  private readonly scontrol: string;
  private readonly sinfo: string;
  private readonly timeoutMs: number;
  private readonly retry: RetryOptions;

  constructor(private readonly opts: SlurmActuatorOptions) {
    this.scontrol = opts.scontrol ?? 'scontrol';
    this.sinfo = opts.sinfo ?? 'sinfo';
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.retry = opts.retry ?? DEFAULT_RETRY;
  }

  private run(cmd: string, args: string[]) {
    return runCommand(cmd, args, { timeoutMs: this.timeoutMs, ...(this.opts.env ? { env: this.opts.env } : {}) });
  }

  /** Every node Slurm knows, with state and reason (one sinfo call). */
  async readAll(): Promise<Map<string, ObservedNode>> {
    const { stdout } = await withRetry(() => this.run(this.sinfo, ['-N', '-h', '-o', SINFO_FORMAT]), this.retry);
    return parseSinfoNodes(stdout);
  }

  async read(node: string): Promise<ObservedNode> {
    checkName(node);
    const { stdout } = await withRetry(
      () => this.run(this.sinfo, ['-N', '-h', '-n', node, '-o', SINFO_FORMAT]),
      this.retry,
    );
    return parseSinfoNodes(stdout).get(node) ?? { exists: false, isolated: false, state: 'unknown' };
  }

  async isolate(node: string, reason: string): Promise<void> {
    checkName(node);
    if (!isOwnReason(reason)) throw new KeelsonError('ISOLATION_REFUSED', `reason must be owner-tagged: ${reason}`);
    await withRetry(async () => {
      const cur = await this.read(node);
      if (!cur.exists) throw new KeelsonError('NOT_FOUND', `Slurm does not know node ${node}`);
      if (cur.isolated && !isOwnReason(cur.reason)) {
        throw new KeelsonError('ISOLATION_REFUSED', `${node} is ${cur.state} by someone else: ${cur.reason ?? ''}`);
      }
      if (cur.isolated && cur.reason === reason) return;
      await this.run(this.scontrol, ['update', `NodeName=${node}`, 'State=DRAIN', `Reason=${reason}`]);
      this.opts.log.info({ node, reason }, 'slurm node drained');
    }, this.retry);
  }

  async release(node: string): Promise<void> {
    checkName(node);
    await withRetry(async () => {
      const cur = await this.read(node);
      if (!cur.exists) throw new KeelsonError('NOT_FOUND', `Slurm does not know node ${node}`);
      if (!cur.isolated) return;
      if (!isOwnReason(cur.reason)) {
        throw new KeelsonError('ISOLATION_REFUSED', `${node} is ${cur.state} by someone else: ${cur.reason ?? ''}`);
      }
      await this.run(this.scontrol, ['update', `NodeName=${node}`, 'State=RESUME']);
      this.opts.log.info({ node }, 'slurm node resumed');
    }, this.retry);
    const waitMs = this.opts.resumeWaitMs ?? 0;
    const deadline = Date.now() + waitMs;
    while (waitMs > 0 && Date.now() < deadline) {
      if (!(await this.read(node)).isolated) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function checkName(node: string): void {
  if (!NAME.test(node)) throw new KeelsonError('ISOLATION_REFUSED', `not a valid node name: ${JSON.stringify(node)}`);
}
