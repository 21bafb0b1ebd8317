/**
 * The `keelson` command line: the daemons (`agent`, `collector`, `up` = both for this host,
 * `demo` = a simulated fleet), offline tools (`analyze`, `preflight`, `bisect`, `ckpt`) and the
 * operator commands. The only module that touches process: argv, env, signals and exit codes.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { tiersOf } from '../agent/checkpoint/config.ts';
import { ckptLs, ckptRestore, ckptShow, ckptVerify } from '../agent/checkpoint/ops.ts';
import { resolveAgentConfig } from '../agent/config.ts';
import { AGENT_VERSION, AgentDaemon } from '../agent/daemon.ts';
import { formatPreflightText, runPreflight } from '../agent/preflight.ts';
import { DEFAULT_COLLECTOR_PORT, resolveCollectorConfig } from '../collector/config.ts';
import { AGENT_WS_PATH, CollectorDaemon } from '../collector/daemon.ts';
import {
  type CliIo,
  type OperatorCliOptions,
  runApproveCli,
  runAuditCli,
  runBreakerCli,
  runIsolateCli,
  runNodesCli,
  runReleaseCli,
} from '../collector/isolation/cli-client.ts';
import { runBisectCommand } from '../collector/nettest/simulate.ts';
import { systemClock } from '../core/clock.ts';
import { describeError, KeelsonError } from '../core/errors.ts';
import { createRootLogger, type Logger } from '../core/logger.ts';
import { fakeClusterRunner } from '../probes/nccl/fake-cluster.ts';
import { startSimFleet } from '../sim/fleet.ts';
import { playScenario, SCENARIOS } from '../sim/scenarios.ts';
import { ANALYZERS, analyzeExitCode, analyzePaths, formatAnalyzeJson, formatAnalyzeText } from './analyze.ts';

function readConfigFile(path: string | undefined): { fileText?: string; fileName?: string } {
  if (!path) return {};
  try {
    return { fileText: readFileSync(path, 'utf8'), fileName: path };
  } catch (err) {
    throw new KeelsonError('CONFIG_UNREADABLE', `cannot read config file ${path}: ${(err as Error).message}`);
  }
}

function portArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('expected a port number 0-65535');
  return n;
}

/**
 * Installs SIGINT/SIGTERM handling before anything starts, so a signal during start-up still
 * stops cleanly; components register their stop functions as they come up and are stopped in
 * reverse order. A second signal exits at once.
 */
function shutdownOnSignals(log: () => Logger | undefined): { add(stop: () => Promise<void>): void } {
  const stoppers: (() => Promise<void>)[] = [];
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    log()?.info({ signal }, 'shutting down');
    (async () => {
      for (const stop of stoppers.reverse()) {
        try {
          await stop();
        } catch (err) {
          log()?.error({ err }, 'error while stopping');
        }
      }
      log()?.flush();
      process.exit(0);
    })();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return { add: (stop) => void stoppers.push(stop) };
}

const program = new Command()
  .name('keelson')
  .description('Keeps large model-training runs alive on GPU clusters.')
  .version(AGENT_VERSION);

program
  .command('agent')
  .description('run the node agent on this GPU host')
  .option('-c, --config <file>', 'YAML config file')
  .option('--collector <url>', 'collector WebSocket URL, e.g. ws://collector:7300/ws/agent')
  .option('--node-id <id>', 'node name (default: hostname)')
  .option('--state-dir <dir>', 'where the agent keeps its spool and state')
  .option('--socket <path>', 'unix socket for the local API')
  .action(async (opts) => {
    const cfg = resolveAgentConfig({
      ...readConfigFile(opts.config),
      env: process.env,
      flags: { collector: opts.collector, nodeId: opts.nodeId, stateDir: opts.stateDir, socket: opts.socket },
      defaults: { nodeId: hostname(), stateDir: '/var/lib/keelson/agent' },
    });
    const log = createRootLogger({ level: cfg.log.level });
    const shutdown = shutdownOnSignals(() => log);
    const agent = new AgentDaemon({ config: cfg, log, clock: systemClock });
    shutdown.add(() => agent.stop());
    await agent.start();
  });

program
  .command('collector')
  .description('run the fleet collector')
  .option('-c, --config <file>', 'YAML config file')
  .option(
    '-p, --port <port>',
    `port for HTTP and WebSocket (default ${DEFAULT_COLLECTOR_PORT}, env KEELSON_PORT)`,
    portArg,
  )
  .option('--host <addr>', 'address to bind (default 127.0.0.1)')
  .option('--data-dir <dir>', 'where the collector keeps its database')
  .action(async (opts) => {
    const cfg = resolveCollectorConfig({
      ...readConfigFile(opts.config),
      env: process.env,
      flags: { port: opts.port, host: opts.host, dataDir: opts.dataDir },
      defaults: { dataDir: '/var/lib/keelson/collector' },
    });
    const log = createRootLogger({ level: cfg.log.level });
    const shutdown = shutdownOnSignals(() => log);
    const collector = new CollectorDaemon({ config: cfg, log, clock: systemClock });
    shutdown.add(() => collector.stop());
    await collector.start();
  });

program
  .command('up')
  .description('run a collector and an agent for this host, with embedded defaults (what `npm start` does)')
  .option('--home <dir>', 'where state is kept (default ./.keelson)', '.keelson')
  .option('-p, --port <port>', `collector port (default ${DEFAULT_COLLECTOR_PORT}, env KEELSON_PORT)`, portArg)
  .action(async (opts) => {
    const home = resolve(opts.home);
    const token = process.env.KEELSON_TOKEN ?? randomBytes(24).toString('base64url');
    const operatorToken = process.env.KEELSON_OPERATOR_TOKEN ?? randomBytes(24).toString('base64url');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'operator.token'), `${operatorToken}\n`, { mode: 0o600 });
    const env = { ...process.env, KEELSON_TOKEN: token, KEELSON_OPERATOR_TOKEN: operatorToken };
    const ccfg = resolveCollectorConfig({
      env,
      flags: { port: opts.port },
      defaults: { dataDir: join(home, 'collector') },
    });
    const log = createRootLogger({ level: ccfg.log.level });
    const shutdown = shutdownOnSignals(() => log);
    const collector = new CollectorDaemon({ config: ccfg, log, clock: systemClock });
    shutdown.add(() => collector.stop());
    await collector.start();
    process.stdout.write(
      `Keelson collector started.\n  dashboard: ${collector.url}/\n  nodes:     ${collector.url}/api/nodes\n  operator token: ${join(opts.home, 'operator.token')}\n`,
    );
    const host = ccfg.host.includes(':') ? `[${ccfg.host}]` : ccfg.host;
    const acfg = resolveAgentConfig({
      env,
      flags: { collector: `ws://${host}:${collector.port}${AGENT_WS_PATH}` },
      defaults: { nodeId: hostname(), stateDir: join(home, 'agent') },
    });
    acfg.api.socket ??= join(opts.home, 'agent.sock');
    const agent = new AgentDaemon({ config: acfg, log, clock: systemClock });
    shutdown.add(() => agent.stop());
    await agent.start();
    process.stdout.write(`  agent API: ${acfg.api.socket}\nKeelson is up. Press Ctrl-C to stop.\n`);
  });

program
  .command('analyze')
  .description('find problems in captured tool output (nvidia-smi, kernel logs, ibstat, sysfs copies, nvme, ...)')
  .argument('<paths...>', 'files, or folders of captures')
  .option('--as <kind>', 'the kind of every input, instead of recognising it')
  .option('--json', 'print {"findings":[...]} as JSON')
  .action(async (paths: string[], opts: { as?: string; json?: boolean }) => {
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

/** Options every operator command takes, resolved from flags, env and `./.keelson/operator.token`. */
function operatorOptions(opts: {
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

const stdio: CliIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

function operatorCommand(name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .option('--collector <url>', 'collector URL (default http://127.0.0.1:7300, env KEELSON_COLLECTOR_HTTP)')
    .option('--token <token>', 'operator token (env KEELSON_OPERATOR_TOKEN, else ./.keelson/operator.token)')
    .option('--operator <name>', 'your name, for the audit (default $USER)')
    .option('--json', 'print the raw JSON');
}

operatorCommand('nodes', 'list nodes with their health and isolation state').action(async (opts) => {
  process.exitCode = await runNodesCli(operatorOptions(opts), stdio);
});
operatorCommand('isolate', 'isolate a node (drain/cordon) with a reason')
  .argument('<node>')
  .requiredOption('--reason <text>', 'why (recorded in the audit and the drain reason)')
  .action(async (node: string, opts) => {
    process.exitCode = await runIsolateCli({ ...operatorOptions(opts), node, reason: opts.reason }, stdio);
  });
operatorCommand('release', 'return a node Keelson isolated to service')
  .argument('<node>')
  .action(async (node: string, opts) => {
    process.exitCode = await runReleaseCli({ ...operatorOptions(opts), node }, stdio);
  });
operatorCommand('breaker', 'show or reset the isolation safety breaker')
  .argument('<action>', 'status | reset')
  .action(async (action: string, opts) => {
    if (action !== 'status' && action !== 'reset') throw new KeelsonError('CONFIG_INVALID', 'breaker: status or reset');
    process.exitCode = await runBreakerCli({ ...operatorOptions(opts), action }, stdio);
  });
operatorCommand('approve', 'approve (or --reject) an isolation waiting for an operator')
  .argument('<id>')
  .option('--reject', 'reject instead of approving')
  .action(async (id: string, opts) => {
    process.exitCode = await runApproveCli({ ...operatorOptions(opts), id, reject: opts.reject }, stdio);
  });
operatorCommand('audit', 'the audit of every isolation decision and action')
  .option('--node <node>')
  .option('--kind <kind>')
  .option('--since <epochMs>', 'only entries since', (v) => Number(v))
  .option('--limit <n>', 'at most', (v) => Number(v))
  .action(async (opts) => {
    process.exitCode = await runAuditCli(
      { ...operatorOptions(opts), node: opts.node, kind: opts.kind, since: opts.since, limit: opts.limit },
      stdio,
    );
  });

program
  .command('bisect')
  .description('find the node(s) that slow collectives by testing halves of a group (nccl-tests / perftest)')
  .option('--simulate', 'run against simulated nodes node0 … node<n-1> and fake nccl-tests binaries')
  .option('--nodes <n>', 'simulated nodes', (v) => Number.parseInt(v, 10), 16)
  .option('--bad <list>', 'comma-separated simulated bad nodes', '')
  .option('--json', 'print {"found":[…],"rounds":…} as JSON')
  .action(async (opts: { simulate?: boolean; nodes: number; bad: string; json?: boolean }) => {
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

/** The checkpoint tiers and shm root from the agent config, for `keelson ckpt`. */
function ckptOptions(configPath: string | undefined) {
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

const ckpt = program.command('ckpt').description('list, show, verify and restore checkpoints on this node’s tiers');
ckpt
  .command('ls')
  .description('steps per job and tier, committed or not, and LATEST')
  .option('-c, --config <file>', 'agent YAML config file')
  .option('--job <job>')
  .action(async (opts: { config?: string; job?: string }) => {
    process.exitCode = await ckptLs({ ...ckptOptions(opts.config), job: opts.job });
  });
ckpt
  .command('show')
  .description("a step's manifests: ranks, shards, sizes, checksums")
  .argument('<job>')
  .option('-c, --config <file>', 'agent YAML config file')
  .option('--step <n>', 'default: the newest', (v) => Number(v))
  .action(async (job: string, opts: { config?: string; step?: number }) => {
    process.exitCode = await ckptShow({ ...ckptOptions(opts.config), job, step: opts.step });
  });
ckpt
  .command('verify')
  .description('re-read every shard of a step and check its checksum (exit 2 on a mismatch)')
  .argument('<job>')
  .option('-c, --config <file>', 'agent YAML config file')
  .option('--step <n>', 'default: the newest', (v) => Number(v))
  .action(async (job: string, opts: { config?: string; step?: number }) => {
    process.exitCode = await ckptVerify({ ...ckptOptions(opts.config), job, step: opts.step });
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
  .action(async (job: string, opts: { config?: string; step?: number; rank: number; into: string; peer?: string }) => {
    const o = ckptOptions(opts.config);
    const at = opts.peer?.lastIndexOf(':') ?? -1;
    const peer = opts.peer ? { host: opts.peer.slice(0, at), port: Number(opts.peer.slice(at + 1)) } : undefined;
    process.exitCode = await ckptRestore({
      ...o,
      job,
      rank: opts.rank,
      step: opts.step,
      into: opts.into,
      ...(peer ? { peer, node: o.node } : {}),
    });
  });

program
  .command('preflight')
  .description('run every supported probe once plus quick active checks; exit 0 healthy, 1 unhealthy')
  .option('-c, --config <file>', 'agent YAML config file (probe settings, roots, checks)')
  .option('--json', 'print the result as JSON')
  .action(async (opts: { config?: string; json?: boolean }) => {
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

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`keelson: ${describeError(err)}\n`);
  process.exit(err instanceof KeelsonError && err.code.startsWith('CONFIG') ? 2 : 1);
});
