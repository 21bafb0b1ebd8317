/**
 * `keelson bisect --simulate`: the real campaign and planner against a simulated cluster of
 * nodes node0 … node<n-1> whose faults are written to a fault map file. The runner is injected
 * (the collector does not import probes): the lead passes probes/nccl/fake-cluster.ts
 * `fakeClusterRunner`, which spawns the fake binaries in sim/fakes/bin and parses their output.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { systemClock } from '../../core/clock.ts';
import { KeelsonError } from '../../core/errors.ts';
import type { BisectVerdict } from './bisect.ts';
import { runCampaign } from './campaign.ts';
import { NodeLocks } from './locks.ts';
import { type CampaignTestRecord, InMemoryCampaignStore } from './store.ts';
import type { TestKind, TestRunner } from './types.ts';

/** A simulated cluster and its faults. */
export interface SimulationOptions {
  nodes: number;
  /** Nodes slow in every test that includes them. */
  bad: string[];
  /** Nodes slow only across the network (a solo loopback test passes). */
  pairedOnly?: string[];
  links?: [string, string][];
  kind?: TestKind;
  testTimeoutMs?: number;
  /** Bandwidth factor of a bad node or link (0.35: a 400G port running like a 100G one). */
  factor?: number;
}

/** What the simulation needs: a runner over a fault map file. */
export interface SimulationDeps {
  makeRunner(faultMapPath: string): TestRunner;
}

/** The simulation's answer. */
export interface SimulationReport {
  found: string[];
  links: [string, string][];
  rounds: number;
  foundAtRound: number;
  tests: number;
  status: BisectVerdict['status'];
  history: CampaignTestRecord[];
}

/** Simulated node names. */
export function simulatedNodes(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `node${i}`);
}

/** Run a bisection campaign over a simulated cluster. Throws CONFIG_INVALID on a bad node count or name. */
export async function simulateBisection(opts: SimulationOptions, deps: SimulationDeps): Promise<SimulationReport> {
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > 4096) {
    throw new KeelsonError('CONFIG_INVALID', `nodes must be an integer from 1 to 4096, not ${opts.nodes}`);
  }
  const nodes = simulatedNodes(opts.nodes);
  const named = [...opts.bad, ...(opts.pairedOnly ?? []), ...(opts.links ?? []).flat()];
  const unknown = named.filter((n) => !nodes.includes(n));
  if (unknown.length > 0) {
    throw new KeelsonError('CONFIG_INVALID', `bad: ${unknown.join(',')} not among node0…node${opts.nodes - 1}`);
  }
  const factor = opts.factor ?? 0.35;
  const map = {
    gpu: 'NVIDIA H100 80GB HBM3',
    gpusPerNode: 8,
    nodes: Object.fromEntries([
      ...opts.bad.map((n) => [n, { busbwFactor: factor }]),
      ...(opts.pairedOnly ?? []).map((n) => [n, { busbwFactor: factor, soloOk: true }]),
    ]),
    links: (opts.links ?? []).map(([a, b]) => ({ a, b, busbwFactor: factor })),
  };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'keelson-bisect-'));
  try {
    const faultMap = path.join(dir, 'faults.json');
    await writeFile(faultMap, JSON.stringify(map));
    const store = new InMemoryCampaignStore();
    const id = `sim-${Date.now()}`;
    const outcome = await runCampaign(
      { id, kind: opts.kind ?? 'nccl-allreduce', nodes, testTimeoutMs: opts.testTimeoutMs ?? 30_000 },
      { runner: deps.makeRunner(faultMap), store, locks: new NodeLocks(), clock: systemClock, busyNodes: () => [] },
    );
    const v = outcome.verdict;
    return {
      found: v.culprits,
      links: v.links,
      rounds: v.rounds,
      foundAtRound: v.foundAtRound,
      tests: v.tests,
      status: v.status,
      history: await store.listTests(id),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Options of `keelson bisect`, as parsed by the CLI. */
export interface BisectCommandOptions {
  simulate: boolean;
  nodes: number;
  bad: string[];
  json: boolean;
}

/**
 * `keelson bisect --simulate --nodes <n> --bad <a,b> [--json]`: prints `{"found":[…],"rounds":…}`
 * (plus links, status and test count). Exit 0 when the campaign ended (culprits or healthy),
 * 1 when it was inconclusive or aborted, 2 on bad options.
 */
export async function runBisectCommand(
  opts: BisectCommandOptions,
  deps: SimulationDeps,
): Promise<{ exitCode: number; stdout: string }> {
  if (!opts.simulate) {
    return {
      exitCode: 2,
      stdout: 'keelson bisect runs against a live fleet through the collector; only --simulate is available here\n',
    };
  }
  let r: SimulationReport;
  try {
    r = await simulateBisection({ nodes: opts.nodes, bad: opts.bad }, deps);
  } catch (err) {
    if (err instanceof KeelsonError && err.code === 'CONFIG_INVALID')
      return { exitCode: 2, stdout: `${err.message}\n` };
    throw err;
  }
  const exitCode = r.status === 'found' || r.status === 'healthy' ? 0 : 1;
  if (opts.json) {
    const out = { found: r.found, rounds: r.rounds, links: r.links, status: r.status, tests: r.tests };
    return { exitCode, stdout: `${JSON.stringify(out)}\n` };
  }
  const lines = r.history.map(
    (h) =>
      `round ${h.round}  ${h.request.mode.padEnd(6)} ${h.result.outcome.padEnd(7)} ${h.request.nodes.join(',')}  ${h.result.detail}`,
  );
  lines.push(
    `${r.status}: ${r.found.length > 0 ? `bad ${r.found.join(', ')}` : 'no bad node'}${r.links.length > 0 ? `; bad links ${r.links.map((l) => l.join('~')).join(', ')}` : ''} after ${r.rounds} rounds, ${r.tests} tests`,
  );
  return { exitCode, stdout: `${lines.join('\n')}\n` };
}
