/** `keelson ckpt ls|show|verify|restore`: the checkpoints on this node's tiers. */
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { KeelsonError } from '../core/errors.ts';
import { readConfigFile } from './common.ts';

async function ckptOptions(configPath: string | undefined) {
  const { resolveAgentConfig } = await import('../agent/config.ts');
  const { tiersOf } = await import('../agent/checkpoint/config.ts');
  const cfg = resolveAgentConfig({
    ...readConfigFile(configPath),
    env: process.env,
    flags: {},
    defaults: { nodeId: hostname(), stateDir: '/var/lib/keelson/agent' },
  });
  const tiers = tiersOf(cfg.checkpoint);
  if (!tiers.length) throw new KeelsonError('CONFIG_INVALID', 'checkpoint: set nvmeDir or pfsDir in the agent config');
  return { tiers, shmRoot: cfg.checkpoint.shmRoot, out: process.stdout, node: cfg.nodeId };
}

/** Add `keelson ckpt …` to the program. */
export function registerCkptCommands(program: Command): void {
  const ckpt = program.command('ckpt').description('list, show, verify and restore checkpoints on this node’s tiers');
  ckpt
    .command('ls')
    .description('steps per job and tier, committed or not, and LATEST')
    .option('-c, --config <file>', 'agent YAML config file')
    .option('--job <job>')
    .action(async (opts: { config?: string; job?: string }) => {
      const { ckptLs } = await import('../agent/checkpoint/ops.ts');
      process.exitCode = await ckptLs({ ...(await ckptOptions(opts.config)), job: opts.job });
    });
  ckpt
    .command('show')
    .description("a step's manifests: ranks, shards, sizes, checksums")
    .argument('<job>')
    .option('-c, --config <file>', 'agent YAML config file')
    .option('--step <n>', 'default: the newest', (v) => Number(v))
    .action(async (job: string, opts: { config?: string; step?: number }) => {
      const { ckptShow } = await import('../agent/checkpoint/ops.ts');
      process.exitCode = await ckptShow({ ...(await ckptOptions(opts.config)), job, step: opts.step });
    });
  ckpt
    .command('verify')
    .description('re-read every shard of a step and check its checksum (exit 2 on a mismatch)')
    .argument('<job>')
    .option('-c, --config <file>', 'agent YAML config file')
    .option('--step <n>', 'default: the newest', (v) => Number(v))
    .action(async (job: string, opts: { config?: string; step?: number }) => {
      const { ckptVerify } = await import('../agent/checkpoint/ops.ts');
      process.exitCode = await ckptVerify({ ...(await ckptOptions(opts.config)), job, step: opts.step });
    });
  ckpt
    .command('restore')
    .description('copy one rank of the newest complete step (or --step) from the fastest verified tier')
    .argument('<job>')
    .requiredOption('--rank <n>', 'rank', (v) => Number(v))
    .requiredOption('--into <dir>', 'where to write the rank’s data and index')
    .option('-c, --config <file>', 'agent YAML config file')
    .option('--step <n>', 'default: the newest committed', (v) => Number(v))
    .option('--peer <host:port>', 'also ask this buddy agent for its in-memory replica')
    .action(
      async (job: string, opts: { config?: string; step?: number; rank: number; into: string; peer?: string }) => {
        const o = await ckptOptions(opts.config);
        const at = opts.peer?.lastIndexOf(':') ?? -1;
        const peer = opts.peer ? { host: opts.peer.slice(0, at), port: Number(opts.peer.slice(at + 1)) } : undefined;
        const { ckptRestore } = await import('../agent/checkpoint/ops.ts');
        process.exitCode = await ckptRestore({
          ...o,
          job,
          rank: opts.rank,
          step: opts.step,
          into: opts.into,
          ...(peer ? { peer, node: o.node } : {}),
        });
      },
    );
}
