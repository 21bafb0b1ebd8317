/**
 * The operator commands against a collector: `nodes`, `isolate`, `release`, `breaker`, `approve`,
 * `audit`, and the stability figures: `incidents`, `report`.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { OperatorCliOptions } from '../collector/isolation/cli-client.ts';
import { KeelsonError } from '../core/errors.ts';
import { DEFAULT_COLLECTOR_PORT } from '../core/version.ts';
import { stdio } from './common.ts';

/** The HTTP client side, loaded when an operator command runs. */
const client = () => import('../collector/isolation/cli-client.ts');

export function operatorOptions(opts: {
  collector?: string;
  token?: string;
  operator?: string;
  json?: boolean;
}): OperatorCliOptions {
  let token = opts.token ?? process.env.KEELSON_OPERATOR_TOKEN;
  if (!token) {
    try {
      token = readFileSync('.keelson/operator.token', 'utf8').trim();
    } catch {
      // no local token: the collector will answer 401 and the command says so
    }
  }
  return {
    url: (opts.collector ?? process.env.KEELSON_COLLECTOR_HTTP ?? `http://127.0.0.1:${DEFAULT_COLLECTOR_PORT}`).replace(
      /\/$/,
      '',
    ),
    token,
    operator: opts.operator ?? process.env.USER,
    json: opts.json,
  };
}

/** Add the operator commands to the program. */
export function registerOperatorCommands(program: Command): void {
  const operatorCommand = (name: string, description: string): Command =>
    program
      .command(name)
      .description(description)
      .option('--collector <url>', 'collector URL (default http://127.0.0.1:7300, env KEELSON_COLLECTOR_HTTP)')
      .option('--token <token>', 'operator token (env KEELSON_OPERATOR_TOKEN, else ./.keelson/operator.token)')
      .option('--operator <name>', 'your name, for the audit (default $USER)')
      .option('--json', 'print the raw JSON');

  operatorCommand('nodes', 'list nodes with their health and isolation state').action(async (opts) => {
    process.exitCode = await (await client()).runNodesCli(operatorOptions(opts), stdio);
  });
  operatorCommand('isolate', 'isolate a node (drain/cordon) with a reason')
    .argument('<node>')
    .requiredOption('--reason <text>', 'why (recorded in the audit and the drain reason)')
    .action(async (node: string, opts) => {
      process.exitCode = await (await client()).runIsolateCli(
        { ...operatorOptions(opts), node, reason: opts.reason },
        stdio,
      );
    });
  operatorCommand('release', 'return a node Keelson isolated to service')
    .argument('<node>')
    .action(async (node: string, opts) => {
      process.exitCode = await (await client()).runReleaseCli({ ...operatorOptions(opts), node }, stdio);
    });
  operatorCommand('breaker', 'show or reset the isolation safety breaker')
    .argument('<action>', 'status | reset')
    .action(async (action: string, opts) => {
      if (action !== 'status' && action !== 'reset')
        throw new KeelsonError('CONFIG_INVALID', 'breaker: status or reset');
      process.exitCode = await (await client()).runBreakerCli({ ...operatorOptions(opts), action }, stdio);
    });
  operatorCommand('approve', 'approve (or --reject) an isolation waiting for an operator')
    .argument('<id>')
    .option('--reject', 'reject instead of approving')
    .action(async (id: string, opts) => {
      process.exitCode = await (await client()).runApproveCli(
        { ...operatorOptions(opts), id, reject: opts.reject },
        stdio,
      );
    });
  operatorCommand('audit', 'the audit of every isolation decision and action')
    .option('--node <node>')
    .option('--kind <kind>')
    .option('--since <epochMs>', 'only entries since', (v) => Number(v))
    .option('--limit <n>', 'at most', (v) => Number(v))
    .action(async (opts) => {
      process.exitCode = await (await client()).runAuditCli(
        { ...operatorOptions(opts), node: opts.node, kind: opts.kind, since: opts.since, limit: opts.limit },
        stdio,
      );
    });

  program
    .command('incidents')
    .description('list incidents: first evidence, culprit, category, MTTD/MTTI/MTTR, lost time')
    .option('--collector <url>', 'collector URL (default http://127.0.0.1:7300, env KEELSON_COLLECTOR_HTTP)')
    .option('--since <when>', '7d, 24h, 30m, 90s, an ISO date or epoch ms (default: all kept)')
    .option('--status <status>', 'open | mitigated | recovered | active')
    .option('--json', 'print the API’s JSON')
    .action(async (opts: { collector?: string; since?: string; status?: string; json?: boolean }) => {
      process.exitCode = await (await import('./incidents.ts')).incidentsCommand(
        { ...opts, collector: operatorOptions(opts).url },
        stdio,
      );
    });
  program
    .command('report')
    .description('postmortem summary: MTBF, MTTD/MTTI/MTTR, goodput, lost time, failure mix vs Llama 3')
    .option('--collector <url>', 'collector URL (default http://127.0.0.1:7300, env KEELSON_COLLECTOR_HTTP)')
    .option('--since <when>', 'window start: 7d, 24h, an ISO date or epoch ms', '7d')
    .option('--format <format>', 'md | text', 'md')
    .action(async (opts: { collector?: string; since: string; format: string }) => {
      process.exitCode = await (await import('./incidents.ts')).reportCommand(
        { ...opts, collector: operatorOptions(opts).url },
        stdio,
      );
    });
}
