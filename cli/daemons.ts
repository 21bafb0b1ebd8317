/** `keelson agent`, `keelson collector` and `keelson up` (both for this host, what `npm start` runs). */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { systemClock } from '../core/clock.ts';
import { createRootLogger } from '../core/logger.ts';
import { DEFAULT_COLLECTOR_PORT } from '../core/version.ts';
import { portArg, readConfigFile, shutdownOnSignals } from './common.ts';

/** The daemons' modules, loaded when their command runs: an agent never loads the collector, nor the reverse. */
const loadAgent = async () => ({ ...(await import('../agent/config.ts')), ...(await import('../agent/daemon.ts')) });
const loadCollector = async () => ({
  ...(await import('../collector/config.ts')),
  ...(await import('../collector/daemon.ts')),
});

/** Add these commands to the program. */
export function registerDaemonCommands(program: Command): void {
  program
    .command('agent')
    .description('run the node agent on this GPU host')
    .option('-c, --config <file>', 'YAML config file')
    .option('--collector <url>', 'collector WebSocket URL, e.g. ws://collector:7300/ws/agent')
    .option('--node-id <id>', 'node name (default: hostname)')
    .option('--state-dir <dir>', 'where the agent keeps its spool and state')
    .option('--socket <path>', 'unix socket for the local API')
    .action(async (opts) => {
      const { resolveAgentConfig, AgentDaemon } = await loadAgent();
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
      const { resolveCollectorConfig, CollectorDaemon } = await loadCollector();
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
      const { resolveAgentConfig, AgentDaemon } = await loadAgent();
      const { resolveCollectorConfig, CollectorDaemon, AGENT_WS_PATH } = await loadCollector();
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
}
