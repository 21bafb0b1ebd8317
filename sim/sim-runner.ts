/** A command runner for one simulated node: the real process runner, with the node's fake tools first on PATH. */
import type { CommandRunner } from '../probes/runner.ts';
import { processRunner } from '../probes/runner.ts';
import { type SimNodePaths, simToolEnv } from './node-root.ts';

/** Runs commands as the real runner does, pointed at the node's captures. */
export function simRunner(n: SimNodePaths): CommandRunner {
  const env = simToolEnv(n);
  return {
    run(command, args, opts) {
      return processRunner.run(command, args, { ...opts, env: { ...env, ...opts.env } });
    },
  };
}
