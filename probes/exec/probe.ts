/** A probe made from a site-defined check in the agent config (`checks:`). */
import type { Probe } from '../types.ts';
import { type ExecCheckSpec, parseExecCheckOutput } from './parse.ts';

export interface ExecCheckConfig extends ExecCheckSpec {
  command: string;
  args: string[];
  intervalSec: number;
  timeoutMs: number;
  outputCapBytes: number;
}

/** Build the probe for one configured check; its name is `check:<name>`. */
export function createExecCheckProbe(cfg: ExecCheckConfig): Probe {
  return {
    name: `check:${cfg.name}`,
    defaults: { intervalSec: cfg.intervalSec, timeoutMs: cfg.timeoutMs, outputCapBytes: cfg.outputCapBytes },
    async isSupported() {
      // A missing command is a failure to report, not a reason to stay silent: the operator asked for it.
      return { supported: true };
    },
    async run(ctx) {
      const out = await ctx.runner.run(cfg.command, cfg.args, {
        timeoutMs: cfg.timeoutMs,
        outputCapBytes: cfg.outputCapBytes,
        signal: ctx.signal,
        okExitCodes: [0, 1, 2, 3],
      });
      return { observations: parseExecCheckOutput(cfg, out), metrics: [] };
    },
  };
}
