/**
 * Commands from the collector to one agent (run a probe now): sent over the agent's session,
 * answered by its command-result, which arrives through the fleet once stored.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { KeelsonError } from '../core/errors.ts';
import type { COMMAND_NAMES, CollectorMessage } from '../protocol/messages.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';
import type { Fleet, FleetCommandResult } from './fleet.ts';

/** How long a command waits for its answer by default. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

export class CommandDispatcher {
  private readonly waiting = new Map<string, (r: FleetCommandResult) => void>();

  constructor(
    fleet: Fleet,
    private readonly sessionOf: (node: string) => { send(msg: CollectorMessage): void } | undefined,
    private readonly clock: Clock,
  ) {
    fleet.on('command-result', (r: FleetCommandResult) => this.waiting.get(r.commandId)?.(r));
  }

  /** Send `name` to `node` and wait for its result; NOT_FOUND when the node has no session. */
  run(
    node: string,
    name: (typeof COMMAND_NAMES)[number],
    args: Record<string, unknown>,
    timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS,
  ): Promise<FleetCommandResult> {
    const session = this.sessionOf(node);
    if (!session) return Promise.reject(new KeelsonError('NOT_FOUND', `node ${node} is not connected`));
    const commandId = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(commandId);
        reject(new KeelsonError('PEER_TIMEOUT', `${node} did not answer ${name} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(commandId, (r) => {
        clearTimeout(timer);
        this.waiting.delete(commandId);
        resolve(r);
      });
      session.send({ v: PROTOCOL_VERSION, ts: this.clock.now(), type: 'command', commandId, name, args });
    });
  }
}
