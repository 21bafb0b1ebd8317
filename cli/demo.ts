/** `keelson demo`: a collector and a simulated fleet of real agents, with a scripted scenario. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_COLLECTOR_PORT } from '../collector/config.ts';
import { systemClock } from '../core/clock.ts';
import { KeelsonError } from '../core/errors.ts';
import { createRootLogger } from '../core/logger.ts';
import { startSimFleet } from '../sim/fleet.ts';
import { playScenario, SCENARIOS } from '../sim/scenarios.ts';
import { portArg, shutdownOnSignals } from './common.ts';

/** Add these commands to the program. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('a collector and a simulated fleet of real agents on fixture hardware, with a scripted fault scenario')
    .option('-n, --nodes <n>', 'simulated nodes', (v) => Number.parseInt(v, 10), 16)
    .option('-s, --scenario <name>', `scenario: ${Object.keys(SCENARIOS).join(', ')}`, 'default')
    .option('-p, --port <port>', `collector port (default ${DEFAULT_COLLECTOR_PORT}, env KEELSON_PORT)`, portArg)
    .option('--home <dir>', 'where the simulated nodes live (default ./.keelson/demo)', '.keelson/demo')
    .action(async (opts: { nodes: number; scenario: string; port?: number; home: string }) => {
      const scenario = SCENARIOS[opts.scenario];
      if (!scenario) throw new KeelsonError('CONFIG_INVALID', `--scenario: no scenario named ${opts.scenario}`);
      if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > 512) {
        throw new KeelsonError('CONFIG_INVALID', '--nodes: expected 1 to 512');
      }
      const log = createRootLogger({ level: process.env.KEELSON_LOG_LEVEL ?? 'warn' });
      const shutdown = shutdownOnSignals(() => log);
      const port = opts.port ?? (process.env.KEELSON_PORT ? Number(process.env.KEELSON_PORT) : DEFAULT_COLLECTOR_PORT);
      const dir = resolve(opts.home, String(Date.now()));
      const fleet = await startSimFleet({ nodes: opts.nodes, dir, port, clock: systemClock, log });
      shutdown.add(() => fleet.stop());
      process.stdout.write(
        `Keelson demo: ${opts.nodes} simulated nodes, scenario "${opts.scenario}" (${scenario.description}).\n  dashboard: ${fleet.collector.url}/\n`,
      );
      const cancel = playScenario(
        scenario.steps,
        fleet.nodes,
        systemClock,
        (what, step) => process.stdout.write(`  t+${step.atSec}s ${what}\n`),
        (err) => log.error({ err }, 'scenario step failed'),
      );
      shutdown.add(async () => cancel());
    });
}
