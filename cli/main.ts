/**
 * The `keelson` command line: the daemons (`agent`, `collector`, `up` = both for this host,
 * `demo` = a simulated fleet), offline tools (`analyze`, `preflight`, `bisect`, `ckpt`) and the
 * operator commands, each group registered from its own file. cli/ is the only folder that touches
 * process: argv, env, signals and exit codes.
 */
import { Command } from 'commander';
import { describeError, KeelsonError } from '../core/errors.ts';
import { KEELSON_VERSION } from '../core/version.ts';
import { registerCkptCommands } from './ckpt.ts';
import { registerDaemonCommands } from './daemons.ts';
import { registerDemoCommand } from './demo.ts';
import { registerOfflineCommands } from './offline.ts';
import { registerOperatorCommands } from './operator.ts';

const program = new Command()
  .name('keelson')
  .description('Keeps large model-training runs alive on GPU clusters.')
  .version(KEELSON_VERSION);

registerDaemonCommands(program);
registerDemoCommand(program);
registerOfflineCommands(program);
registerCkptCommands(program);
registerOperatorCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`keelson: ${describeError(err)}\n`);
  process.exit(err instanceof KeelsonError && err.code.startsWith('CONFIG') ? 2 : 1);
});
