/**
 * `keelson demo`: a collector and a simulated fleet of real agents, a scripted scenario played
 * in real time — hardware faults and synthetic training jobs — and a line of output per
 * scripted step and per job restart. The CLI parses flags and handles signals; this runs it.
 */
import { resolve } from 'node:path';
import { type Clock, systemClock } from '../core/clock.ts';
import { KeelsonError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { type SimFleet, startSimFleet } from './fleet.ts';
import { playScenario, SCENARIOS } from './scenarios.ts';
import type { SimJobRestart } from './training.ts';

export interface DemoOptions {
  nodes: number;
  scenario: string;
  port: number;
  host?: string;
  /** Where the simulated nodes live; each run gets a fresh folder below it. */
  home: string;
  log: Logger;
  /** Where the progress lines go (stdout in the CLI). */
  out: (text: string) => void;
  clock?: Clock;
  /** Probe intervals, s (default 5). */
  intervalSec?: number;
}

/** A running demo. */
export interface RunningDemo {
  fleet: SimFleet;
  /** The dashboard's URL. */
  url: string;
  /** Cancel what the scenario has not done yet, stop the jobs, the agents and the collector. */
  stop(): Promise<void>;
}

/** One line about a restart, for the demo's output. */
export function describeRestart(r: SimJobRestart): string {
  const from = r.restoredFrom === undefined ? 'step 0 (nothing committed)' : `committed step ${r.restoredFrom}`;
  const why =
    r.cause === 'local'
      ? `local restart asked by ${r.requestedBy ?? 'an agent'}`
      : r.replaced
        ? `${r.cause}: ${r.replaced.failed} replaced by ${r.replaced.spare}`
        : r.cause;
  const blocked = r.blockedBy.length ? `; still blocked by ${r.blockedBy.join(',')}` : '';
  return `${r.job} restarted from ${from}, abandoning step ${r.abandonedStep} (${why})${blocked}`;
}

/** Start the fleet and play the scenario; throws CONFIG_INVALID for an unknown scenario or node count. */
export async function runDemo(o: DemoOptions): Promise<RunningDemo> {
  const scenario = SCENARIOS[o.scenario];
  if (!scenario) {
    throw new KeelsonError(
      'CONFIG_INVALID',
      `--scenario: no scenario named ${o.scenario} (${Object.keys(SCENARIOS).join(', ')})`,
    );
  }
  if (!Number.isInteger(o.nodes) || o.nodes < 1 || o.nodes > 512) {
    throw new KeelsonError('CONFIG_INVALID', '--nodes: expected 1 to 512');
  }
  const clock = o.clock ?? systemClock;
  const dir = resolve(o.home, String(clock.now()));
  const fleet = await startSimFleet({
    nodes: o.nodes,
    dir,
    port: o.port,
    ...(o.host ? { host: o.host } : {}),
    clock,
    log: o.log,
    ...(o.intervalSec !== undefined ? { intervalSec: o.intervalSec } : {}),
  });
  const t0 = clock.now();
  const since = () => Math.round((clock.now() - t0) / 1000);
  o.out(
    `Keelson demo: ${o.nodes} simulated nodes, scenario "${o.scenario}" (${scenario.description}).\n  dashboard: ${fleet.collector.url}/\n`,
  );
  const onRestart = (r: SimJobRestart) => o.out(`  t+${since()}s ${describeRestart(r)}\n`);
  fleet.training.on('restart', onRestart);
  const cancel = playScenario(
    scenario.steps,
    fleet.nodes,
    clock,
    (what, step) => o.out(`  t+${step.atSec}s ${what}\n`),
    (err) => o.log.error({ err }, 'scenario step failed'),
    fleet.training,
  );
  return {
    fleet,
    url: fleet.collector.url,
    async stop() {
      cancel();
      fleet.training.off('restart', onRestart);
      await fleet.stop();
    },
  };
}
