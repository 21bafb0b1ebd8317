/** The offline tools: `keelson analyze` (captures), `keelson bisect` (network bisection, or simulated) and `keelson preflight`. */
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { systemClock } from '../core/clock.ts';
import { describeError } from '../core/errors.ts';
import { readConfigFile } from './common.ts';

/** Add these commands to the program. */
export function registerOfflineCommands(program: Command): void {
  program
    .command('analyze')
    .description('find problems in captured tool output (nvidia-smi, kernel logs, ibstat, sysfs copies, nvme, ...)')
    .argument('<paths...>', 'files, or folders of captures')
    .option('--as <kind>', 'the kind of every input, instead of recognising it')
    .option('--json', 'print {"findings":[...]} as JSON')
    .action(async (paths: string[], opts: { as?: string; json?: boolean }) => {
      const { ANALYZERS, analyzeExitCode, analyzePaths, formatAnalyzeJson, formatAnalyzeText } = await import(
        './analyze.ts'
      );
      try {
        const result = await analyzePaths(paths, { as: opts.as, now: Date.now() });
        process.stdout.write(opts.json ? formatAnalyzeJson(result) : formatAnalyzeText(result));
        process.exitCode = analyzeExitCode(result);
      } catch (err) {
        process.stderr.write(`keelson analyze: ${describeError(err)}\n`);
        process.stderr.write(`known kinds: ${ANALYZERS.map((a) => a.kind).join(', ')}\n`);
        process.exitCode = 2;
      }
    });
  program
    .command('bisect')
    .description('find the node(s) that slow collectives by testing halves of a group (nccl-tests / perftest)')
    .option('--simulate', 'run against simulated nodes node0 … node<n-1> and fake nccl-tests binaries')
    .option('--nodes <n>', 'simulated nodes', (v) => Number.parseInt(v, 10), 16)
    .option('--bad <list>', 'comma-separated simulated bad nodes', '')
    .option('--json', 'print {"found":[…],"rounds":…} as JSON')
    .action(async (opts: { simulate?: boolean; nodes: number; bad: string; json?: boolean }) => {
      const { runBisectCommand } = await import('../collector/nettest/simulate.ts');
      const { fakeClusterRunner } = await import('../probes/nccl/fake-cluster.ts');
      const r = await runBisectCommand(
        {
          simulate: Boolean(opts.simulate),
          nodes: opts.nodes,
          bad: opts.bad.split(',').filter(Boolean),
          json: Boolean(opts.json),
        },
        { makeRunner: (faultMapFile) => fakeClusterRunner(faultMapFile) },
      );
      process.stdout.write(r.stdout);
      process.exitCode = r.exitCode;
    });

  program
    .command('preflight')
    .description('run every supported probe once plus quick active checks; exit 0 healthy, 1 unhealthy')
    .option('-c, --config <file>', 'agent YAML config file (probe settings, roots, checks)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { config?: string; json?: boolean }) => {
      const { resolveAgentConfig } = await import('../agent/config.ts');
      const { formatPreflightText, runPreflight } = await import('../agent/preflight.ts');
      const cfg = resolveAgentConfig({
        ...readConfigFile(opts.config),
        env: process.env,
        flags: {},
        defaults: { nodeId: hostname(), stateDir: '/var/lib/keelson/agent' },
      });
      const result = await runPreflight(cfg, { clock: systemClock });
      process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : formatPreflightText(result));
      process.exitCode = result.healthy ? 0 : 1;
    });
}
