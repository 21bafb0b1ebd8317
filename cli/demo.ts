/** `keelson demo`: a collector and a simulated fleet of real agents, with a scripted scenario. */
import type { Command } from 'commander';
import { createRootLogger } from '../core/logger.ts';
import { DEFAULT_COLLECTOR_PORT } from '../core/version.ts';
import { SCENARIOS } from '../sim/scenarios.ts';
import { portArg, shutdownOnSignals } from './common.ts';

/** Add these commands to the program. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'a collector and a simulated fleet of real agents on fixture hardware with training jobs, and a scripted fault scenario',
    )
    .option('-n, --nodes <n>', 'simulated nodes', (v) => Number.parseInt(v, 10), 16)
    .option('-s, --scenario <name>', `scenario: ${Object.keys(SCENARIOS).join(', ')}`, 'default')
    .option('-p, --port <port>', `collector port (default ${DEFAULT_COLLECTOR_PORT}, env KEELSON_PORT)`, portArg)
    .option('--home <dir>', 'where the simulated nodes live (default ./.keelson/demo)', '.keelson/demo')
    .action(async (opts: { nodes: number; scenario: string; port?: number; home: string }) => {
      const log = createRootLogger({ level: process.env.KEELSON_LOG_LEVEL ?? 'warn' });
      const shutdown = shutdownOnSignals(() => log);
      const port = opts.port ?? (process.env.KEELSON_PORT ? Number(process.env.KEELSON_PORT) : DEFAULT_COLLECTOR_PORT);
      const { runDemo } = await import('../sim/demo.ts');
      const demo = await runDemo({ ...opts, port, log, out: (t) => process.stdout.write(t) });
      shutdown.add(() => demo.stop());
    });
}
